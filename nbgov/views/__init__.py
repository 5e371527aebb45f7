"""Views: lineage graphs (table and column level), cards, drift, PII and impact views,
the interactive explorer (ipywidgets controls that re-query the store) and the
self-contained HTML report — the only package importing the ``graphviz`` Python package
and ipywidgets.

Every view renders everywhere: ``text/plain`` (stable, for nbval), ``text/html`` and,
for lineage, nbgov's own MIME type :data:`MIME_TYPE` drawn by the JupyterLab extension.
"""

from __future__ import annotations

from nbgov.views.cards import DatasetCard, JobCard, RunCard
from nbgov.views.dot import DEFAULT_MAX_NODES, DotGraph, column_dot, element_id, lineage_dot
from nbgov.views.explore import LineageExplorer, explore
from nbgov.views.governance import DriftView, ImpactView, PiiView
from nbgov.views.lineage import MIME_TYPE, LineageView, show
from nbgov.views.report import HtmlReport, build_report

__all__ = [
    "DEFAULT_MAX_NODES",
    "MIME_TYPE",
    "DatasetCard",
    "DotGraph",
    "DriftView",
    "HtmlReport",
    "ImpactView",
    "JobCard",
    "LineageExplorer",
    "LineageView",
    "PiiView",
    "RunCard",
    "build_report",
    "column_dot",
    "element_id",
    "explore",
    "lineage_dot",
    "show",
]
