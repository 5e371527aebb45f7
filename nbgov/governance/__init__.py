"""Governance: PII classification and data drift (pure APIs on DataFrames)."""

from __future__ import annotations

from nbgov.governance.drift import (
    ColumnDrift,
    ColumnProfile,
    DatasetProfile,
    DriftError,
    DriftReport,
    SchemaChange,
    compare,
    profile,
)
from nbgov.governance.pii import (
    INFO_TYPES,
    CustomIdentifier,
    Likelihood,
    PiiConfigError,
    PiiFinding,
    PiiReport,
    classify_pii,
    mask_value,
)

__all__ = [
    "INFO_TYPES",
    "ColumnDrift",
    "ColumnProfile",
    "CustomIdentifier",
    "DatasetProfile",
    "DriftError",
    "DriftReport",
    "Likelihood",
    "PiiConfigError",
    "PiiFinding",
    "PiiReport",
    "SchemaChange",
    "classify_pii",
    "compare",
    "mask_value",
    "profile",
]
