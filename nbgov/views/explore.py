"""Interactive lineage: :func:`explore` and the :class:`LineageExplorer` widget it returns.

The explorer is an ipywidgets container — node, depth, direction and level (tables or
columns) controls above an ``Output`` widget. Changing a control re-queries the store in
the kernel and puts the new graph into the ``Output`` widget as the same mimebundle
:func:`nbgov.show` displays, so nbgov's JupyterLab extension draws it: the WebAssembly
Graphviz is loaded by the extension once per page and shared by every output and widget,
never shipped with a widget (an anywidget ``_esm`` would carry the 1.3 MB engine once per
instance). Only ipywidgets' own controls are used, so the front end needs nothing beyond
``jupyterlab_widgets`` (installed with ipywidgets).

Where widgets are not rendered (nbval, GitHub, nbviewer, nbconvert, a saved notebook
without widget state) the explorer shows its current graph as ``text/plain`` and
``text/html``, with a line saying what the controls were.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from nbgov.capture.access import calling
from nbgov.errors import NbgovError
from nbgov.model.nodes import NodeId
from nbgov.views.dot import DEFAULT_MAX_NODES
from nbgov.views.html import esc
from nbgov.views.lineage import DIRECTIONS, LineageView, build_view

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = ["LEVELS", "LineageExplorer", "default_node", "explore"]

log = logging.getLogger(__name__)

LEVELS = ("table", "column")
#: the depth slider's upper end (a larger starting depth widens it)
MAX_DEPTH = 10
#: node ids offered as suggestions by the node box (any id may be typed)
MAX_NODE_CHOICES = 1000

_DIRECTION_LABELS = (("both ways", "both"), ("upstream", "up"), ("downstream", "down"))


def default_node(store: Store) -> str:
    """The node :func:`explore` starts from when given none: the most recently updated job
    without a parent (a notebook, whose view is the union of its cells), else the most
    recently updated job, else dataset.

    Raises:
        NbgovError: the store holds no job and no dataset.
    """
    jobs = store.jobs()
    for candidates in ([j for j in jobs if not j.get("parentJobName")], jobs):
        if candidates:
            latest = max(candidates, key=lambda j: (str(j.get("updatedAt") or ""), j["namespace"], j["name"]))
            return str(NodeId.job(latest["namespace"], latest["name"]))
    datasets = store.datasets()
    if datasets:
        latest = max(datasets, key=lambda d: (str(d.get("updatedAt") or ""), d["namespace"], d["name"]))
        return str(NodeId.dataset(latest["namespace"], latest["name"]))
    raise NbgovError("the lineage store holds no job or dataset yet: run something with nbgov loaded first")


def _node_choices(store: Store) -> list[str]:
    ids = [str(NodeId.job(j["namespace"], j["name"])) for j in store.jobs()]
    ids += [str(NodeId.dataset(d["namespace"], d["name"])) for d in store.datasets()]
    return sorted(ids)[:MAX_NODE_CHOICES]


class _StoreSource:
    """The store the explorer queries: one it was given (left open), or a location it
    opens and closes around each query (so an idle explorer holds no connection)."""

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.location: str | None = None
        if store is None:
            from nbgov.store import store_location

            loc = store_location(None)
            self.location = loc if "://" in loc else str(Path(loc).resolve())

    def query(self, fn: Any) -> Any:
        """``fn(store)``, marked as nbgov's own work so a running cell's capture does not
        record these reads as the cell's lineage."""
        with calling():
            if self.store is not None:
                return fn(self.store)
            from nbgov.store import open_store

            with open_store(self.location) as opened:
                return fn(opened)


class LineageExplorer(widgets.VBox):
    """The lineage graph with controls that re-query the store (build it with :func:`explore`).

    Attributes:
        node, depth, direction, level: the controls (``Combobox``, ``IntSlider``,
            ``Dropdown``, ``ToggleButtons``).
        status: a line saying what is shown, or why the last change could not be shown.
        output: the ``Output`` widget holding the graph's mimebundle.
        view: the :class:`~nbgov.views.LineageView` shown.
        error: the message of the last failed query, or None.
    """

    def __init__(self, source: _StoreSource, view: LineageView, *, node_id: str, depth: int, direction: str,
                 level: str, max_nodes: int | None, choices: list[str]) -> None:
        self._source = source
        self._max_nodes = max_nodes
        self.view = view
        self.error: str | None = None
        self.node = widgets.Combobox(value=node_id, options=tuple(choices), ensure_option=False,
                                     continuous_update=False, description="Node",
                                     placeholder="dataset:NS:NAME or job:NS:NAME",
                                     layout=widgets.Layout(width="46em"))
        self.depth = widgets.IntSlider(value=depth, min=0, max=max(MAX_DEPTH, depth), step=1,
                                       continuous_update=False, description="Depth")
        self.direction = widgets.Dropdown(options=_DIRECTION_LABELS, value=direction, description="Direction")
        self.level = widgets.ToggleButtons(options=(("Tables", "table"), ("Columns", "column")), value=level,
                                           description="Level",
                                           tooltips=("table-level lineage", "column-level lineage"))
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.node.add_class("nbgov-explore-node")
        self.depth.add_class("nbgov-explore-depth")
        self.direction.add_class("nbgov-explore-direction")
        self.level.add_class("nbgov-explore-level")
        self.status.add_class("nbgov-explore-status")
        self.output.add_class("nbgov-explore-output")
        super().__init__(children=[widgets.HBox([self.node, self.direction]), widgets.HBox([self.depth, self.level]),
                                   self.status, self.output])
        self.add_class("nbgov-explore")
        self._show(view)
        for control in (self.node, self.depth, self.direction, self.level):
            control.observe(self._changed, names="value")

    # --------------------------------------------------------------- queries
    def settings(self) -> dict[str, Any]:
        """The controls' values: ``node_id, depth, direction, level``."""
        return {"node_id": str(self.node.value).strip(), "depth": int(self.depth.value),
                "direction": str(self.direction.value), "level": str(self.level.value)}

    def _changed(self, change: Any) -> None:
        self.refresh()

    def refresh(self) -> LineageView | None:
        """Query the store with the controls' values and show the result; on an error the
        previous graph stays and the status line says what went wrong (nothing is raised:
        this runs from widget events, where a traceback would reach no one)."""
        s = self.settings()
        try:
            view = self._source.query(lambda store: build_view(
                store, s["node_id"], depth=s["depth"], direction=s["direction"], columns=s["level"] == "column",
                max_nodes=self._max_nodes, level=s["level"]))
        except NbgovError as exc:
            self._fail(str(exc))
            return None
        except Exception as exc:  # shown in the status line, logged
            log.debug("explore: query failed", exc_info=True)
            self._fail(f"nbgov could not read the lineage store ({type(exc).__name__}: {exc})")
            return None
        self._show(view)
        return view

    def _fail(self, message: str) -> None:
        self.error = message
        self.status.value = (f'<span role="alert">✖ {esc(message)} — still showing: '
                             f"{esc(self.view.title)}</span>")

    def _show(self, view: LineageView) -> None:
        self.view = view
        self.error = None
        self.output.outputs = ({"output_type": "display_data", "data": view._repr_mimebundle_(), "metadata": {}},)
        self.status.value = f'<span role="status">{esc(self.summary())}</span>'

    def summary(self) -> str:
        """One line: what is shown (counts, level, collapse)."""
        v = self.view
        parts = [f"{v.title}: {len(v.table.nodes)} nodes, {len(v.table.edges)} edges"]
        if v.table.groups:
            parts.append(f"{len(v.table.groups)} namespace group(s) collapsed (see the notice)")
        if v.level == "column" and v.columns is not None:
            parts.append(f"column level: {len(v.columns.nodes)} columns, {len(v.columns.edges)} edges"
                         if v.columns.nodes else "column level: no column lineage recorded here")
        return "; ".join(parts) + "."

    # ------------------------------------------------------------ renderings
    def _controls_line(self) -> str:
        s = self.settings()
        return (f"Lineage explorer (node {s['node_id']}, depth {s['depth']}, direction {s['direction']}, "
                f"{s['level']} level); its controls need a live kernel with ipywidgets.")

    def to_text(self) -> str:
        """The ``text/plain`` fallback: the controls' values and the graph as text."""
        lines = [self._controls_line()]
        if self.error:
            lines.append(f"Error: {self.error}")
        return "\n".join([*lines, "", self.view.to_text()])

    def _repr_html_(self) -> str:
        error = f'<p class="nbgov-notice" role="alert">{esc(self.error)}</p>' if self.error else ""
        return (f'<div class="nbgov-view nbgov-explore-fallback"><p class="nbgov-muted">{esc(self._controls_line())}'
                f"</p>{error}{self.view._repr_html_()}</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.to_text()
        bundle["text/html"] = self._repr_html_()
        return bundle

    def __repr__(self) -> str:
        s = self.settings()
        return (f"LineageExplorer({s['node_id']!r}, depth={s['depth']}, direction={s['direction']!r}, "
                f"level={s['level']!r}, nodes={len(self.view.table.nodes)})")


def explore(
    node_id: str | NodeId | None = None,
    *,
    store: Store | None = None,
    depth: int = 2,
    direction: str = "both",
    columns: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> LineageExplorer:
    """The lineage graph around a node with controls (node, depth, direction, tables ↔
    columns) that re-query the store in the kernel.

    Args:
        node_id: the node to start from; None: the most recently updated top-level job
            (see :func:`default_node`).
        store: an open store, kept and queried on every change; by default ``$NBGOV_STORE``
            (else ``.nbgov/lineage.db``), opened and closed around each query.
        depth: the starting depth (job hops).
        direction: ``both``, ``up`` or ``down``.
        columns: start at column level.
        max_nodes: beyond this many nodes a graph is collapsed with a notice; None never.

    Returns:
        A :class:`LineageExplorer` (an ``ipywidgets.VBox``) showing the first graph.

    Raises:
        NodeNotFoundError: the node is not in the store.
        InvalidNodeIdError: the id is malformed.
        NbgovError: a bad ``direction`` or ``depth``, or an empty store with no node given.
    """
    if direction not in DIRECTIONS:
        raise NbgovError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if depth < 0:
        raise NbgovError(f"depth must be 0 or more, not {depth}")
    level = "column" if columns else "table"
    source = _StoreSource(store)

    def first(opened: Store) -> tuple[str, LineageView, list[str]]:
        node = str(node_id) if node_id is not None else default_node(opened)
        view = build_view(opened, node, depth=depth, direction=direction, columns=columns, max_nodes=max_nodes,
                          level=level)
        return node, view, _node_choices(opened)

    node, view, choices = source.query(first)
    return LineageExplorer(source, view, node_id=node, depth=depth, direction=direction, level=level,
                           max_nodes=max_nodes, choices=choices)
