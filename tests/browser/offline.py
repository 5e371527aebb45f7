"""Open a self-contained HTML file (``nbgov report``) in headless Chromium with networking
off and wait for its graphs to be drawn by the inlined WebAssembly Graphviz.

Usable from any test module (``tests/test_cli.py`` too): it starts its own Playwright and
Chromium and stops them again; without Chromium or Playwright it skips, except in CI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browser.conftest import ARTIFACTS, CHROMIUM_FLAGS, chromium_and_playwright


@dataclass
class Drawn:
    """What the page showed: per graph, the ``<title>`` of each drawn node and edge and the
    ``id`` of each node's ``<g>``; every request the page made; the dialogs it opened."""

    node_titles: list[set[str]]
    edge_titles: list[set[str]]
    node_ids: list[set[str]]
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    result: Any = None


def open_offline(path: Path, *, screenshot: str | None = None,
                 then: Callable[[Any], Any] | None = None, timeout_ms: int = 30_000) -> Drawn:
    """Load ``path`` with the network off; return what was drawn.

    Args:
        path: the HTML file.
        screenshot: artefact name (``tests/browser/artifacts/<name>.png``), taken once drawn.
        then: called with the Playwright page once the graphs are drawn; its result is
            :attr:`Drawn.result`.
        timeout_ms: how long drawing may take.
    """
    executable, sync_playwright = chromium_and_playwright()
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as manager:
        browser = manager.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))

            def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.goto(path.resolve().as_uri())
            page.wait_for_selector("html[data-nbgov-drawn=engine]", state="attached", timeout=timeout_ms)
            graphs = page.locator(".nbgov-graph svg")
            titles = [set(graphs.nth(i).locator("g.node > title").all_text_contents()) for i in range(graphs.count())]
            edges = [set(graphs.nth(i).locator("g.edge > title").all_text_contents()) for i in range(graphs.count())]
            ids = [set(graphs.nth(i).locator("g.node").evaluate_all("els => els.map(e => e.id)"))
                   for i in range(graphs.count())]
            if screenshot:  # as first drawn, before ``then`` moves anything
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{screenshot}.png"), full_page=False)
            result = then(page) if then is not None else None
            context.close()
        finally:
            browser.close()
    return Drawn(node_titles=titles, edge_titles=edges, node_ids=ids, requests=requests, dialogs=dialogs,
                 result=result)
