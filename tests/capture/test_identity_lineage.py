"""Column lineage of simple pandas cells in a shell: the same object read and bound, or
bound and written, is IDENTITY; a groupby gives its key and aggregation edges (many more
idioms: test_pandas_column_lineage.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from tests.capture.conftest import run, stored_events
from tests.spec import assert_spec_valid


def _column_lineage(events: list[dict], name_suffix: str) -> dict[str, list[tuple[str, str, str]]]:
    (out,) = [o for e in events if e.get("eventType") == "COMPLETE" for o in e.get("outputs", [])
              if o["name"].endswith(name_suffix)]
    facet = out.get("facets", {}).get("columnLineage")
    if facet is None:
        return {}
    return {field: [(i["namespace"], i["name"], i["field"]) for i in spec["inputFields"]]
            for field, spec in facet["fields"].items()}


def test_read_bind_and_write_are_identity_edges(shell: Any, tmp_path: Path) -> None:
    pd.DataFrame({"id": [1, 2], "email": ["a@x.io", "b@y.io"]}).to_csv(tmp_path / "in.csv", index=False)
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd\ncustomers = pd.read_csv('in.csv')")
    run(shell, "customers.to_parquet('out.parquet')")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    source = str(tmp_path / "in.csv")
    assert _column_lineage(events, "/customers") == {
        "id": [("file", source, "id")], "email": [("file", source, "email")],
    }
    assert _column_lineage(events, "out.parquet") == {
        "id": [("dataframe://notebook", "test.ipynb/customers", "id")],
        "email": [("dataframe://notebook", "test.ipynb/customers", "email")],
    }


def test_a_groupby_gets_key_and_aggregation_edges(shell: Any, tmp_path: Path) -> None:
    pd.DataFrame({"id": [1, 2], "amount": [1.0, 2.0]}).to_csv(tmp_path / "in.csv", index=False)
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd\nraw = pd.read_csv('in.csv')")
    run(shell, "total = raw.groupby('id', as_index=False)['amount'].sum()\ntotal.to_parquet('total.parquet')")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    (total,) = [o for e in events if e.get("eventType") == "COMPLETE" for o in e.get("outputs", [])
                if o["name"].endswith("/total")]
    facet = total["facets"]["columnLineage"]
    raw = ("dataframe://notebook", "test.ipynb/raw")
    assert {f: [(i["namespace"], i["name"], i["field"], [(t["type"], t["subtype"]) for t in i["transformations"]])
                for i in spec["inputFields"]] for f, spec in facet["fields"].items()} == {
        "id": [(*raw, "id", [("DIRECT", "IDENTITY")])],          # the group key, as it is
        "amount": [(*raw, "amount", [("DIRECT", "AGGREGATION")])],  # summed per key
    }
    assert [(i["field"], [t["subtype"] for t in i["transformations"]]) for i in facet["dataset"]] == [
        ("id", ["GROUP_BY"])]
    # total -> total.parquet: the frame the cell bound, written as it is
    assert set(_column_lineage(events, "total.parquet")) == {"id", "amount"}
