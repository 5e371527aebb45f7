"""The governance views (drift diff, PII findings, impact tree) in a real JupyterLab.

Each test writes a notebook, runs its cells in a real kernel from the browser and reads the
rendered DOM: words and symbols for every severity (not colour alone), inline SVG and nothing
fetched from anywhere but the Jupyter server, hostile names as text, masked PII examples and
never a raw value. Screenshots of each view go to tests/browser/artifacts/. The JupyterLab is
the session's (shared with test_lineage_extension.py); every kernel started here is shut down
after its test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from tests.browser.conftest import ARTIFACTS, Lab

pytestmark = pytest.mark.timeout(180)

HOSTILE = "<img src=x onerror=alert(1)>"
#: cells that set up nothing but the hostile name, shared by the notebooks below
PRELUDE = f"HOSTILE = {HOSTILE!r}\n"

# Every element attribute or style that could make the browser fetch something.
FETCHING = """root => {
  const attrs = [...root.querySelectorAll('[src],[srcset],[href],[*|href],[poster],[data],[background]')]
    .map(e => e.outerHTML.slice(0, 120));
  const styles = [...root.querySelectorAll('style')].map(s => s.textContent)
    .concat([...root.querySelectorAll('[style]')].map(e => e.getAttribute('style')))
    .filter(t => /url\\(|@import/i.test(t));
  const embeds = [...root.querySelectorAll('img,image,iframe,object,embed,link,script,video,audio,foreignObject')]
    .map(e => e.tagName);
  return {attrs, styles, embeds};
}"""


def code_notebook(path: Path, *sources: str) -> Path:
    """A notebook of code cells (no outputs yet) for the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in sources)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def live(page: Any, lab: Lab) -> Iterator[Any]:
    """The tab, recording every request and websocket it opens (``page.urls``); afterwards the
    tab is closed and every kernel shut down (the lab is shared by the whole session)."""
    page.urls = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.urls.append(request.url))  # type: ignore[attr-defined]
    page.on("websocket", lambda ws: page.urls.append(ws.url))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        page.close()
        lab.shutdown_kernels()


def run_all(page: Any, lab: Lab, name: str, cells: int, ready: str) -> Any:
    """Open ``name``, run its ``cells`` cells one after the other and wait for ``ready`` in the
    outputs; a cell that raised fails the test with its traceback."""
    from playwright.sync_api import expect

    page.goto(lab.page_url(name))
    # The status bar names the kernel once the page is connected to it (before that a run is dropped).
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    for _ in range(cells):
        page.keyboard.press("Shift+Enter")
    done = page.locator(f".jp-OutputArea {ready}, .jp-OutputArea-output[data-mime-type*=stderr]").first
    done.wait_for(timeout=90_000)
    errors = page.locator(".jp-OutputArea-output[data-mime-type*=stderr]")
    assert errors.count() == 0, errors.first.inner_text()
    # every cell ran: the prompts show execution counts 1..cells
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    for i in range(cells):
        expect(prompts.nth(i)).to_have_text(f"[{i + 1}]:", timeout=60_000)
    return page.locator(f".jp-OutputArea {ready}").first


def rows(table: Any) -> list[list[str]]:
    """A table's body as lists of cell texts (as rendered: ``<br>`` becomes a newline)."""
    return table.locator("tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(td => td.innerText.trim()))")


def alignments(table: Any) -> set[str]:
    """How the table's cells are aligned as rendered (JupyterLab right-aligns output tables)."""
    return set(table.locator("th, td").evaluate_all("cs => cs.map(c => getComputedStyle(c).textAlign)"))


def captioned(output: Any, caption: str) -> Any:
    return output.locator("table", has=output.page.locator(f'caption:text-is("{caption}")'))


def assert_self_contained(page: Any, lab: Lab) -> None:
    """Nothing in any output can fetch anything, and the page fetched only from the server."""
    outputs = page.locator(".jp-Cell .jp-OutputArea")
    found = outputs.evaluate_all(f"roots => roots.map({FETCHING})")
    assert found and found == [{"attrs": [], "styles": [], "embeds": []}] * len(found)
    ws = lab.url.replace("http://", "ws://", 1)
    foreign = [u for u in page.urls if not u.startswith((lab.url + "/", ws + "/", "data:", "blob:"))]
    assert foreign == []
    page.wait_for_timeout(300)  # give an injected onerror handler its chance to fire
    assert page.dialogs == []


def shot(output: Any, name: str) -> None:
    output.scroll_into_view_if_needed()
    output.screenshot(path=str(ARTIFACTS / f"{name}.png"))


# ------------------------------------------------------------------------------ drift
DRIFT_FRAMES = PRELUDE + """\
import numpy as np
import pandas as pd
import nbgov
from nbgov.views import DriftView

n = 400
ref = pd.DataFrame({
    "order_id": np.arange(n),
    "amount": np.linspace(10.0, 110.0, n),
    "quantity": np.tile([1, 2, 3, 4], n // 4),
    "country": np.tile(["DE", "FR", "NL", "ES"], n // 4),
    "customer_id": np.arange(1000, 1000 + n),
    "legacy_code": ["L1"] * n,
    HOSTILE: np.tile(["a", "b"], n // 2),
})
cur = ref.drop(columns=["legacy_code"])                        # a removed column
cur["amount"] = np.linspace(60.0, 160.0, n)                    # shifted by +50 ...
cur.loc[: n // 10 - 1, "amount"] = None                        # ... and 10 % missing
cur["country"] = np.tile(["DE", "FR", "NL", "BR"], n // 4)     # BR new, ES gone
cur["customer_id"] = [f"C{i}" for i in range(1000, 1000 + n)]  # int -> text
nbgov.compare(ref, cur)
"""
DRIFT_VIEW = """\
ref_p, cur_p = nbgov.profile(ref), nbgov.profile(cur)
DriftView(nbgov.compare(ref_p, cur_p), reference=ref_p, current=cur_p, title="orders v1 → v2")
"""


def test_drift_diff_renders_severities_verdicts_nulls_categories_and_inline_svg(live: Any, lab: Lab) -> None:
    text = str(pd.Series(["C1"]).dtype)  # how pandas names a text column's dtype ("str" or "object")
    code_notebook(lab.root / "drift.ipynb", DRIFT_FRAMES, DRIFT_VIEW)
    view = run_all(live, lab, "drift.ipynb", 2, ".nbgov-view")
    try:
        # what nbgov.compare returns displays itself: severities as words
        plain = live.locator(".jp-OutputArea .nbgov-drift-report").first
        assert [[r[0], r[1], r[4]] for r in rows(plain.locator("table").first)] == [
            ["SCHEMA_REMOVAL", "legacy_code", "WARNING"],
            ["NULLABILITY_CHANGE", "amount", "WARNING"],
            ["TYPE_CHANGE", "customer_id", "ERROR"],
        ]

        # the DriftView: heading, schema changes with severity as symbol + word
        assert view.locator("p").first.inner_text() == (
            "orders v1 → v2 — severity ✖ ERROR · rows 400 → 400 (+0.0%) · 3 of 6 columns drifted"
            " · 3 schema change(s)")
        assert rows(captioned(view, "schema changes")) == [
            ["▲ WARNING", "SCHEMA_REMOVAL", "legacy_code", text, "-"],
            ["▲ WARNING", "NULLABILITY_CHANGE", "amount", "non-null", "nullable"],
            ["✖ ERROR", "TYPE_CHANGE", "customer_id", "int64", text],
        ]
        columns = captioned(view, "columns")
        assert columns.locator("thead th").all_text_contents() == [
            "column", "kind", "null rate before → after", "statistic", "verdict", "categories",
            "distribution (line before, bars after)"]
        table = {r[0]: r[1:] for r in rows(columns)}
        assert list(table) == ["order_id", "amount", "quantity", "country", "customer_id", HOSTILE]
        kinds = {c: r[0] for c, r in table.items()}
        assert kinds == {"order_id": "numeric", "amount": "numeric", "quantity": "numeric",
                         "country": "categorical", "customer_id": "categorical", HOSTILE: "categorical"}
        nulls = {c: r[1] for c, r in table.items()}
        assert nulls == {c: "0.0% → 0.0%" for c in table} | {"amount": "0.0% → 10.0%"}
        # the verdict: the badge's word first, then the reasons
        verdicts = {c: r[3].split("\n")[0] for c, r in table.items()}
        assert verdicts == {"order_id": "✔ OK", "amount": "✖ ERROR", "quantity": "✔ OK",
                            "country": "▲ WARNING", "customer_id": "✖ ERROR", HOSTILE: "✔ OK"}
        assert "null rate 0.0% -> 10.0%" in table["amount"][3] and "distribution shift" in table["amount"][3]
        assert "new categories: BR" in table["country"][3]
        assert "kind changed numeric -> categorical" in table["customer_id"][3]
        # statistics: order ids are identifiers (not compared); the ramp moved by half its range
        assert table["order_id"][2] == "not compared" and table["customer_id"][2] == "type_change"
        ks = re.fullmatch(r"ks (0\.\d+) \(threshold (0\.\d+)\)", table["amount"][2])
        assert ks is not None and float(ks[1]) > float(ks[2]), table["amount"][2]
        # two uniform 4-category distributions sharing 3 categories: JS distance exactly 0.5
        assert re.fullmatch(r"jensen_shannon 0\.5 \(threshold 0\.\d+\)", table["country"][2])
        assert re.fullmatch(r"jensen_shannon 0 \(threshold 0\.\d+\)", table["quantity"][2])
        assert {c: r[4] for c, r in table.items()} == {c: "-" for c in table} | {"country": "new: BR\nmissing: ES"}
        # text reads from the left, names and reasons included
        assert alignments(columns) == alignments(captioned(view, "schema changes")) == {"left"}

        # inline SVG: a null-rate bar pair and a distribution per row, each titled for screen readers
        svg_titles = columns.locator("tbody tr").evaluate_all(
            "trs => trs.map(tr => [...tr.querySelectorAll('svg > title')].map(t => t.textContent))")
        assert svg_titles == [
            ["null rate 0.0% before, 0.0% after", "order_id distribution 0 to 399: bars current, line reference"],
            ["null rate 0.0% before, 10.0% after", "amount distribution 10 to 160: bars current, line reference"],
            ["null rate 0.0% before, 0.0% after", "quantity distribution 1 to 4: bars current, line reference"],
            ["null rate 0.0% before, 0.0% after", "country top categories: DE, FR, NL, BR, ES"],
            # the ids became text: no histogram of the current side, only the reference's line
            ["null rate 0.0% before, 0.0% after", "customer_id distribution 1000 to 1399: line reference"],
            ["null rate 0.0% before, 0.0% after", f"{HOSTILE} top categories: a, b"],
        ]
        assert view.locator("svg").count() == 12
        amount = columns.locator("tbody tr").nth(1).locator("td").nth(6).locator("svg")
        assert amount.locator("polyline").count() == 1 and amount.locator("rect").count() == 16
        box = amount.bounding_box()
        assert box is not None and (round(box["width"]), round(box["height"])) == (120, 28)  # laid out, not collapsed
        bars = columns.locator("tbody tr").nth(1).locator("td").nth(2).locator("svg rect")
        widths = bars.evaluate_all("rs => rs.map(r => r.getAttribute('width'))")
        assert widths == ["80", "0.0", "80", "8.0"]  # 0 % before, 10 % after, on an 80 px track

        # the hostile column name is text, escaped in the table and the SVG title
        assert columns.locator("tbody tr").nth(5).locator("td code").first.inner_text() == HOSTILE
        assert_self_contained(live, lab)
    finally:
        shot(view, "drift-view")
        shot(live.locator(".jp-OutputArea .nbgov-drift-report").first, "drift-report")


# -------------------------------------------------------------------------------- PII
EMAILS = [f"customer{i}@example.org" for i in range(60)]
PHONES = [f"+44 20 7946 {i:04d}" for i in range(60)]
PII_FRAME = """\
import pandas as pd
import nbgov
from nbgov.views import PiiView

n = 60
orders = pd.DataFrame({
    "order_id": [str(7000000000 + 7919 * i) for i in range(n)],   # ten digits, like a phone number
    "email": [f"customer{i}@example.org" for i in range(n)],
    "phone": [f"+44 20 7946 {i:04d}" for i in range(n)],
    "amount": [float(i) for i in range(n)],
})
report = nbgov.classify_pii(orders)
report
"""
PII_VIEW = 'PiiView(report, title="PII of orders")\n'


def test_pii_findings_show_info_types_likelihood_and_masked_examples_only(live: Any, lab: Lab) -> None:
    code_notebook(lab.root / "pii.ipynb", PII_FRAME, PII_VIEW)
    view = run_all(live, lab, "pii.ipynb", 2, ".nbgov-view")
    report = live.locator(".jp-OutputArea .nbgov-pii-report").first
    try:
        # the report classify_pii returns: one row per (column, info type); the decoy is not there
        assert report.locator("caption").inner_text() == (
            "PII: 2 finding(s) in 2 of 4 columns · 60 rows, sample 1,000 · min likelihood LIKELY")
        assert [r[:6] for r in rows(report)] == [
            ["email", "EMAIL_ADDRESS", "VERY_LIKELY", "100.0%", "60", "c***@e***.org"],
            ["phone", "PHONE_NUMBER", "VERY_LIKELY", "100.0%", "60", "+** ** **** **00"],
        ]

        # the PiiView: columns × info types, likelihood as a word with a symbol, ratio, masked example
        matrix = captioned(view, "2 finding(s) in 2 of 4 columns · 60 rows · sample 1,000")
        assert matrix.locator("thead th").all_text_contents() == ["column", "EMAIL_ADDRESS", "PHONE_NUMBER"]
        assert rows(matrix) == [
            ["email", "● VERY_LIKELY 100%\nc***@e***.org", ""],
            ["phone", "", "● VERY_LIKELY 100%\n+** ** **** **00"],
        ]
        assert "order_id" not in view.inner_text() and "order_id" not in report.inner_text()
        assert alignments(matrix) == {"left"}

        # no raw value anywhere in the page's DOM (the cells' code builds them with f-strings);
        # the outputs keep neither a user name, nor the domain, nor the phone numbers' digits
        dom = live.content()
        assert [v for v in EMAILS + PHONES if v in dom] == []
        shown = "".join(live.locator(".jp-Cell .jp-OutputArea").all_text_contents())
        assert "c***@e***.org" in shown
        assert [w for w in ("customer", "example.org", "7946") if w in shown] == []
        assert_self_contained(live, lab)
    finally:
        shot(report, "pii-report")
        shot(view, "pii-view")


# ----------------------------------------------------------------------------- impact
RAW = "dataset:file:/data/raw.csv"
CUSTOMERS = "dataset:postgres://db:5432:public.customers"
MODEL = "dataset:file:/models/m.pkl"
PUBLISHED = f"dataset:file:{HOSTILE}"


def impact_store(path: Path) -> None:
    """raw.csv -> clean -> customers -> train (last run FAILED) -> m.pkl, and customers ->
    publish -> a file with a hostile name; owners on four nodes, one of them hostile too."""
    from nbgov.governance import set_owners
    from nbgov.store import open_store
    from tests.fixtures.events import dataset, run_event
    from tests.views.conftest import pipeline_events

    publish = run_event("publish", "COMPLETE", inputs=[dataset("public.customers", "postgres://db:5432")],
                        outputs=[dataset(HOSTILE, "file")], time="2024-01-01T03:00:00Z")
    with open_store(path) as store:
        assert not store.add_events([*pipeline_events(), publish]).rejected
        set_owners(store, "job:ns:clean", ["team:data-eng"], emit=False)
        set_owners(store, "job:ns:train", ["team:ml"], emit=False)
        set_owners(store, MODEL, ["user:ana", "team:ml"], emit=False)
        set_owners(store, "job:ns:publish", [f"team:{HOSTILE}"], emit=False)


TREE = """root => {
  const walk = ul => [...ul.children].map(li => {
    const own = li.cloneNode(true);
    own.querySelectorAll('ul').forEach(u => u.remove());
    const kids = li.querySelector(':scope > ul');
    return [li.dataset.nodeId, own.textContent, kids ? walk(kids) : []];
  });
  return walk(root);
}"""


def test_impact_view_shows_the_downstream_tree_and_owners(live: Any, lab: Lab) -> None:
    impact_store(lab.root / "impact.db")
    code_notebook(lab.root / "impact.ipynb", (
        "from nbgov.store import open_store\n"
        "from nbgov.views import ImpactView\n"
        f"with open_store({str(lab.root / 'impact.db')!r}) as store:\n"
        f"    view = ImpactView.from_store(store, {RAW!r})\n"
        "view"
    ))
    view = run_all(live, lab, "impact.ipynb", 1, ".nbgov-view")
    try:
        assert view.locator("p").first.inner_text() == f"Impact of {RAW}"
        # the tree is nested lists: its shape is in the markup, each level one <ul> deeper
        tree = view.locator("ul.nbgov-impact-tree").first.evaluate(TREE)
        assert tree == [
            ["job:ns:clean", "└─ job:ns:clean job ✔ COMPLETED · owners: team:data-eng", [
                [CUSTOMERS, f"└─ {CUSTOMERS} table", [
                    ["job:ns:publish", f"└─ job:ns:publish job ✔ COMPLETED · owners: team:{HOSTILE}", [
                        [PUBLISHED, f"└─ {PUBLISHED} file", []],
                    ]],
                    ["job:ns:train", "└─ job:ns:train job ✖ FAILED · owners: team:ml", [
                        [MODEL, f"└─ {MODEL} model · owners: user:ana, team:ml", []],
                    ]],
                ]],
            ]],
        ]
        assert rows(captioned(view, "owners to notify")) == [
            [f"team:{HOSTILE}", "job:ns:publish"],
            ["team:data-eng", "job:ns:clean"],
            ["team:ml", f"job:ns:train\n{MODEL}"],
            ["user:ana", MODEL],
        ]
        assert alignments(captioned(view, "owners to notify")) == {"left"}
        assert_self_contained(live, lab)
    finally:
        shot(view, "impact-view")
