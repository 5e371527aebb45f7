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
from nbgov.governance.tags import (
    CLASSIFIER_SOURCE,
    LINEAGE_SOURCE,
    ColumnTags,
    Tag,
    TagError,
    TagFinding,
    effective_tags,
    pii_tags,
    record_tags,
    tagged_columns,
    tags_event,
)
from nbgov.governance.taxonomy import DEFAULT_TAXONOMY, Taxonomy, TaxonomyError, load_taxonomy

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
    # tags, taxonomy
    "CLASSIFIER_SOURCE",
    "DEFAULT_TAXONOMY",
    "LINEAGE_SOURCE",
    "ColumnTags",
    "Tag",
    "TagError",
    "TagFinding",
    "Taxonomy",
    "TaxonomyError",
    "effective_tags",
    "load_taxonomy",
    "pii_tags",
    "record_tags",
    "tagged_columns",
    "tags_event",
]
