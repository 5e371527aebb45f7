"""Governance: PII classification and data drift (pure APIs on DataFrames)."""

from __future__ import annotations

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
    "CustomIdentifier",
    "Likelihood",
    "PiiConfigError",
    "PiiFinding",
    "PiiReport",
    "classify_pii",
    "mask_value",
]
