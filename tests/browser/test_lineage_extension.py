"""The nbgov-lineage JupyterLab extension in a real JupyterLab and a real Chromium.

Saved notebooks are written here with nbformat (unsigned, so untrusted) and opened with
"No Kernel": the graphs must come from the saved outputs alone. Two tests run cells in a
real kernel: one displays a bundle, one drives the ``nbgov.explore`` widget. Screenshots of each view go to tests/browser/artifacts/; the figures of the
500-node test and the notebook sizes go to artifacts/figures.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser import bundles
from tests.browser.conftest import ARTIFACTS, Lab

pytestmark = pytest.mark.timeout(120)

OUTPUT = ".jp-OutputArea .nbgov-lineage"
FIGURES = ARTIFACTS / "figures.json"


def record(name: str, value: Any) -> None:
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures[name] = value
    FIGURES.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def open_without_kernel(page: Any, lab: Lab, name: str) -> Any:
    """Open a saved notebook, answer "No Kernel", and return the first lineage output."""
    page.goto(lab.page_url(name))
    page.locator(".jp-Dialog button", has_text="No Kernel").click()
    output = page.locator(OUTPUT).first
    output.locator("svg g.node").first.wait_for()
    return output


def titles(output: Any, selector: str = "svg g.node > title") -> set[str]:
    return set(output.locator(selector).all_text_contents())


def css_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture(scope="module")
def sample(lab: Lab) -> str:
    bundles.saved_notebook(lab.root / "sample.ipynb", [bundles.sample_data()])
    return "sample.ipynb"


def test_extension_is_installed_and_enabled() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, timeout=60
    )
    lines = [line for line in (out.stdout + out.stderr).splitlines() if "nbgov-lineage" in line]
    assert lines, out.stdout + out.stderr
    assert "enabled" in lines[0] and "OK" in lines[0] and "(python, nbgov)" in lines[0]


def test_saved_untrusted_notebook_renders_without_a_kernel(page: Any, lab: Lab, sample: str) -> None:
    output = open_without_kernel(page, lab, sample)

    assert titles(output) == set(bundles.TABLE_NODES)
    edge_titles = titles(output, "svg g.edge > title")
    assert edge_titles == {f"{a}->{b}" for a, b in bundles.TABLE_EDGES}
    assert lab.api("/api/kernels") == []
    # The rich renderer was chosen over the text/html fallback, and labels are text.
    assert page.locator(".nbgov-fallback").count() == 0
    assert "/data/raw_orders.csv" in output.locator("svg").text_content()
    assert "7 nodes, 6 edges" in output.locator(".nbgov-lineage-status").inner_text()
    shot(page, "table-level")


def test_clicking_a_node_shows_its_card(page: Any, lab: Lab, sample: str) -> None:
    output = open_without_kernel(page, lab, sample)

    output.locator(f'svg g.nbgov-node[data-node-id="{bundles.RAW}"]').click()
    card = output.locator(".nbgov-lineage-card")
    card.wait_for()
    assert card.get_attribute("data-node-id") == bundles.RAW
    schema = card.locator("table.nbgov-card-schema")
    assert schema.locator("tbody th").all_text_contents() == [n for n, _ in bundles.RAW_FIELDS]
    assert schema.locator("td.nbgov-field-type").all_text_contents() == [t for _, t in bundles.RAW_FIELDS]
    assert "PII:EMAIL" in schema.locator("tbody tr").nth(1).inner_text()
    headings = card.locator("h4").all_text_contents()
    assert headings[:4] == ["Schema", "Quality", "Versions", "Owners"]
    assert "1,200" in card.inner_text() and "data-team" in card.inner_text()
    # Downstream of the raw file: everything but itself; highlight is spelled out, not only coloured.
    downstream = set(output.locator("svg g.nbgov-downstream").evaluate_all("els => els.map(e => e.dataset.nodeId)"))
    assert downstream == set(bundles.TABLE_NODES) - {bundles.RAW}
    assert "(downstream of the selection)" in output.locator(
        f'svg g.nbgov-node[data-node-id="{bundles.MODEL}"]').get_attribute("aria-label")
    shot(page, "card-dataset")

    output.locator(f'svg g.nbgov-node[data-node-id="{bundles.REPORT_JOB}"]').click()
    assert card.get_attribute("data-node-id") == bundles.REPORT_JOB
    assert card.locator(".nbgov-run-state").inner_text() == "✗ FAIL"
    upstream = set(output.locator("svg g.nbgov-upstream").evaluate_all("els => els.map(e => e.dataset.nodeId)"))
    assert upstream == {bundles.RAW, bundles.CLEAN_JOB, bundles.CLEAN}
    shot(page, "card-job")


def test_column_level_and_column_lineage_highlight(page: Any, lab: Lab, sample: str) -> None:
    output = open_without_kernel(page, lab, sample)

    output.locator("button[data-level=column]").click()
    output.locator(f'svg g.nbgov-node[data-node-id="{bundles.field(bundles.RAW, "amount")}"]').wait_for()
    assert titles(output) == set(bundles.COLUMN_NODES)
    assert output.locator("button[data-level=column]").get_attribute("aria-pressed") == "true"

    selected = bundles.field(bundles.CLEAN, "amount_eur")
    output.locator(f'svg g.nbgov-node[data-node-id="{selected}"]').click()
    ids = "els => els.map(e => e.dataset.nodeId)"
    assert output.locator("svg g.nbgov-upstream").evaluate_all(ids) == [bundles.field(bundles.RAW, "amount")]
    assert output.locator("svg g.nbgov-downstream").evaluate_all(ids) == [bundles.field(bundles.EVIL, "total")]
    assert output.locator("svg g.edge.nbgov-on-path").count() == 2
    assert "1 upstream (▲), 1 downstream (▼)" in output.locator(".nbgov-lineage-status").inner_text()
    card = output.locator(".nbgov-lineage-card")
    assert card.locator("h4").all_text_contents()[-2:] == ["Upstream ▲ (1)", "Downstream ▼ (1)"]
    shot(page, "column-level")

    # A dataset's cluster stands for the dataset: clicking its frame opens the dataset card.
    output.locator(f'svg g.cluster[data-node-id="{bundles.CLEAN}"] > polygon').first.click(position={"x": 6, "y": 6})
    assert card.get_attribute("data-node-id") == bundles.CLEAN

    output.locator("button[data-level=table]").click()
    output.locator(f'svg g.nbgov-node[data-node-id="{bundles.RAW}"]').wait_for()
    assert titles(output) == set(bundles.TABLE_NODES)


def test_keyboard_tab_to_a_node_and_enter_opens_its_card(page: Any, lab: Lab, sample: str) -> None:
    output = open_without_kernel(page, lab, sample)
    output.locator(".nbgov-lineage-fit").focus()

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.dataset.nodeId")
    assert focused in bundles.TABLE_NODES
    page.keyboard.press("Enter")
    card = output.locator(".nbgov-lineage-card")
    card.wait_for()
    assert card.get_attribute("data-node-id") == focused
    shot(page, "keyboard-focus")

    page.keyboard.press("Tab")
    second = page.evaluate("document.activeElement.dataset.nodeId")
    assert second in bundles.TABLE_NODES and second != focused
    page.keyboard.press("Enter")
    assert card.get_attribute("data-node-id") == second
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"


def test_hostile_names_render_as_text(page: Any, lab: Lab, sample: str) -> None:
    output = open_without_kernel(page, lab, sample)

    assert bundles.HOSTILE in output.locator("svg").text_content()
    output.locator("button[data-level=column]").click()
    output.locator(f'svg g.nbgov-node[data-node-id="{bundles.field(bundles.EVIL, bundles.HOSTILE)}"]').wait_for()
    output.locator("button[data-level=table]").click()
    evil = output.locator(f'svg g.nbgov-node[data-node-id="{css_escape(bundles.EVIL)}"]')
    evil.click()
    card = output.locator(".nbgov-lineage-card")
    assert card.locator(".nbgov-card-title").inner_text() == bundles.HOSTILE
    assert bundles.HOSTILE in card.locator("table.nbgov-card-schema").inner_text()
    page.wait_for_timeout(300)  # give an injected onerror handler its chance to fire
    assert page.locator(".jp-OutputArea img, .nbgov-lineage img, svg image").count() == 0
    assert page.dialogs == []
    shot(page, "hostile-name")


def engine_chunk() -> str:
    """File name of the extension's largest chunk: the one holding the WebAssembly Graphviz."""
    static = Path(sys.prefix, "share", "jupyter", "labextensions", "nbgov-lineage", "static")
    return max(static.glob("*.js"), key=lambda p: p.stat().st_size).name


def test_engine_loads_once_lazily_and_only_from_the_server(page: Any, lab: Lab) -> None:
    chunk = engine_chunk()
    requests: list[str] = []
    page.context.on("request", lambda request: requests.append(request.url))
    bundles.saved_notebook(lab.root / "plain.ipynb", [])
    bundles.saved_notebook(lab.root / "two.ipynb", [bundles.sample_data(), bundles.chain_data(30)])

    page.goto(lab.page_url("plain.ipynb"))
    page.locator(".jp-Dialog button", has_text="No Kernel").click()
    page.locator(".jp-Notebook .jp-MarkdownCell").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert requests and not [url for url in requests if chunk in url]  # no lineage output, no engine

    second = page.context.new_page()
    try:
        second.goto(lab.page_url("two.ipynb"))
        second.locator(".jp-Dialog button", has_text="No Kernel").click()
        second.locator(OUTPUT).nth(1).locator("svg g.node").first.wait_for()
        second.locator(OUTPUT).nth(0).locator("svg g.node").first.wait_for()
        assert second.locator(OUTPUT).nth(1).locator("svg g.node").count() == 30
        assert len([url for url in requests if chunk in url]) == 1
    finally:
        second.close()
    foreign = [url for url in requests if not url.startswith((lab.url + "/", "data:", "blob:"))]
    assert foreign == []


def test_500_node_graph_and_notebook_size(page: Any, lab: Lab) -> None:
    big = bundles.chain_data(500)
    bundles.saved_notebook(lab.root / "big.ipynb", [big])
    output = open_without_kernel(page, lab, "big.ipynb")

    assert output.locator("svg g.node").count() == 500
    assert output.locator(".nbgov-lineage-notice").inner_text() == "500 nodes drawn"
    timings = page.evaluate(
        "() => Object.fromEntries(performance.getEntriesByType('measure')"
        ".filter(m => m.name.startsWith('nbgov-lineage:')).map(m => [m.name, Math.round(m.duration)]))"
    )
    assert "nbgov-lineage:draw" in timings and "nbgov-lineage:engine" in timings
    record("render_500_nodes_ms", timings)
    shot(page, "500-nodes")

    empty = bundles.saved_notebook(lab.root / "empty.ipynb", [])
    one = bundles.saved_notebook(lab.root / "one.ipynb", [bundles.sample_data()])
    record("notebook_bytes", {
        "empty": empty.stat().st_size,
        "sample_graph_added": one.stat().st_size - empty.stat().st_size,
        "500_node_graph_added": (lab.root / "big.ipynb").stat().st_size - empty.stat().st_size,
    })


def test_a_kernel_displaying_the_bundle_renders_it(page: Any, lab: Lab) -> None:
    bundles.display_notebook(lab.root / "live.ipynb", bundles.sample_data())
    page.goto(lab.page_url("live.ipynb"))
    # The status bar names the kernel once the page is connected to it (before that a run is dropped).
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")
    output = page.locator(OUTPUT).first
    try:
        output.locator("svg g.node").first.wait_for(timeout=60_000)
    finally:
        shot(page, "kernel-display")

    assert titles(output) == set(bundles.TABLE_NODES)
    assert page.dialogs == []


def explorer_notebook(path: Path, store: Path, node: str) -> Path:
    """A notebook whose one cell builds ``nbgov.explore`` on a real store (no outputs yet)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(
        "import nbgov\n"
        "from nbgov.store import open_store\n"
        f"store = open_store({str(store)!r})\n"
        f"nbgov.explore({node!r}, store=store)"
    ))
    nbformat.write(nb, path)
    return path


def test_explorer_widget_requeries_the_kernel_and_redraws(page: Any, lab: Lab) -> None:
    from playwright.sync_api import expect

    from nbgov.store import open_store
    from tests.views.conftest import pipeline_events

    raw, customers, model = "dataset:file:/data/raw.csv", "dataset:postgres://db:5432:public.customers", \
        "dataset:file:/models/m.pkl"
    clean, train = "job:ns:clean", "job:ns:train"
    with open_store(lab.root / "explore.db") as store:
        assert not store.add_events(pipeline_events()).rejected
    explorer_notebook(lab.root / "explore.ipynb", lab.root / "explore.db", model)
    chunk = engine_chunk()
    requests: list[str] = []
    frames: list[int] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))))

    page.goto(lab.page_url("explore.ipynb"))
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")
    widget = page.locator(".jp-OutputArea .nbgov-explore")
    nodes = widget.locator(".nbgov-explore-output .nbgov-lineage svg g.node")
    try:
        expect(nodes).to_have_count(5, timeout=60_000)
    finally:
        shot(page, "explore-widget")
    assert titles(widget) == {raw, clean, customers, train, model}
    assert "5 nodes, 4 edges" in widget.locator(".nbgov-explore-status").inner_text()

    # depth: the slider's handle takes the keyboard (two steps down: depth 0)
    handle = widget.locator(".nbgov-explore-depth .noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(nodes).to_have_count(3, timeout=30_000)
    assert titles(widget) == {customers, train, model}
    assert "(depth 0)" in widget.locator(".nbgov-explore-status").inner_text()

    # direction: upstream at depth 0 is the same three nodes, downstream of the model the model alone
    widget.locator(".nbgov-explore-direction select").select_option(label="upstream")
    expect(widget.locator(".nbgov-explore-status")).to_contain_text("upstream of")
    assert titles(widget) == {customers, train, model}
    widget.locator(".nbgov-explore-direction select").select_option(label="downstream")
    expect(nodes).to_have_count(1, timeout=30_000)
    assert titles(widget) == {model}

    # another node, typed into the node box; upstream; then the column level, drawn first
    box = widget.locator(".nbgov-explore-node input")
    box.fill(customers)
    box.press("Enter")
    expect(nodes).to_have_count(3, timeout=30_000)
    assert titles(widget) == {customers, train, model}
    widget.locator(".nbgov-explore-direction select").select_option(label="upstream")
    expect(widget.locator(".nbgov-explore-status")).to_contain_text(f"upstream of {customers}")
    assert titles(widget) == {raw, clean, customers}
    handle.focus()
    page.keyboard.press("ArrowRight")  # depth 1: column lineage follows one hop
    expect(widget.locator(".nbgov-explore-status")).to_contain_text("(depth 1)")
    widget.locator(".nbgov-explore-level button", has_text="Columns").click()
    column = widget.locator(".nbgov-explore-output .nbgov-lineage[data-level=column]")
    expect(column.locator("svg g.node")).to_have_count(4, timeout=30_000)
    fields = {d: [f"datasetField:{d.removeprefix('dataset:')}:{c}" for c in ("id", "email")] for d in (raw, customers)}
    assert titles(column) == {*fields[raw], *fields[customers]}
    assert titles(column, "svg g.edge > title") == {f"{a}->{b}" for a, b in zip(fields[raw], fields[customers])}
    assert column.locator("button[data-level=column]").get_attribute("aria-pressed") == "true"
    assert "4 nodes, 2 edges" in column.locator(".nbgov-lineage-status").inner_text()
    shot(page, "explore-widget-columns")
    # each dataset's cluster carries the dataset's id (from nbgov.views): its frame opens the dataset's card
    column.locator(f'svg g.cluster[data-node-id="{raw}"] > path').first.click(position={"x": 8, "y": 8})
    card = column.locator(".nbgov-lineage-card")
    expect(card).to_have_attribute("data-node-id", raw)
    assert card.locator("table.nbgov-card-schema tbody th").all_text_contents() == ["id", "email"]

    # one engine per page, fetched from the server; no widget message carries it (it is 1.3 MB)
    assert len([url for url in requests if chunk in url]) == 1
    assert frames and max(frames) < 200_000
    record("explore_widget_frames", {"count": len(frames), "max_bytes": max(frames), "total_bytes": sum(frames)})
    assert page.dialogs == []
