"""Pure model: node id grammar, time normalisation, redaction, event normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbgov.errors import InvalidEventError, InvalidNodeIdError
from nbgov.model import NodeId, NodeType, normalize_event, redact_event, redact_url
from nbgov.model.events import normalize_time
from nbgov.model.redact import may_hold_secret

text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@given(ns=text, name=text, field=text.filter(lambda f: ":" not in f),
       kind=st.sampled_from([NodeType.DATASET, NodeType.JOB, NodeType.DATASET_FIELD]))
def test_every_node_id_reads_back_among_its_candidates(ns: str, name: str, field: str, kind: NodeType) -> None:
    node = NodeId(kind, ns, name, field if kind is NodeType.DATASET_FIELD else None)
    assert node in NodeId.candidates(str(node))


@pytest.mark.parametrize(
    ("text", "namespace", "name", "field"),
    [
        ("dataset:postgres://db:5432:public.orders", "postgres://db:5432", "public.orders", None),
        ("dataset:file:/data/x.csv", "file", "/data/x.csv", None),
        ("dataset:s3://bucket:path/to/obj", "s3://bucket", "path/to/obj", None),
        ("job:food_delivery:etl.orders", "food_delivery", "etl.orders", None),
        ("datasetField:postgres://db:5432:public.orders:amount", "postgres://db:5432", "public.orders", "amount"),
        ("dataset:bigquery:project.ds.table", "bigquery", "project.ds.table", None),
    ],
)
def test_marquez_reading_comes_first(text: str, namespace: str, name: str, field: str | None) -> None:
    node = NodeId.parse(text)
    assert (node.namespace, node.name, node.field) == (namespace, name, field)
    assert str(node) == text


@pytest.mark.parametrize("text", ["", "dataset", "table:a:b", "dataset:onlyns", "datasetField:ns:name", "job::"])
def test_malformed_ids_raise_their_own_error(text: str) -> None:
    with pytest.raises(InvalidNodeIdError):
        NodeId.candidates(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000000Z"),
        ("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.500000Z"),
        ("2024-01-01T01:30:00+01:30", "2024-01-01T00:00:00.000000Z"),
        ("2024-01-01T00:00:00.123456789-02:00", "2024-01-01T02:00:00.123456Z"),
        ("2024-01-01 00:00:00", "2024-01-01T00:00:00.000000Z"),
    ],
)
def test_times_normalise_to_sortable_utc(value: str, expected: str) -> None:
    assert normalize_time(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", ""])
def test_bad_times_raise(value: str) -> None:
    with pytest.raises(ValueError):
        normalize_time(value)


@pytest.mark.parametrize(
    ("raw", "redacted"),
    [
        ("postgresql://alice:s3cret@db:5432/x", "postgresql://alice:***@db:5432/x"),
        ("mysql://u:p%40ss@h/db?ssl=1", "mysql://u:***@h/db?ssl=1"),
        ("https://h/api?token=abc&x=1", "https://h/api?token=***&x=1"),
        ("postgres://db:5432", "postgres://db:5432"),
        ("s3://bucket/key", "s3://bucket/key"),
    ],
)
def test_urls_lose_their_secrets(raw: str, redacted: str) -> None:
    assert redact_url(raw) == redacted
    assert may_hold_secret(f'"{raw}"') == (raw != redacted)


def test_redact_event_masks_secrets_anywhere_and_reports_it() -> None:
    event = {"job": {"facets": {"sql": {"query": "-- from postgresql://bob:hunter2@db/x"}}}}
    out, changed = redact_event(event)
    assert changed and "hunter2" not in str(out)
    assert redact_event({"a": ["postgres://db:5432"]}) == ({"a": ["postgres://db:5432"]}, False)


@given(st.recursive(st.none() | st.booleans() | st.integers() | text,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                    max_leaves=12))
def test_normalize_event_only_ever_raises_its_own_error(value: object) -> None:
    try:
        normalize_event(value)  # type: ignore[arg-type]
    except InvalidEventError:
        pass


# ------------------------------------------------------------------ stored JSON text
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_stored_json_text_reads_back_equal_with_either_library(value: object) -> None:
    import json

    from nbgov.model import jsontext

    text = jsontext.dumps(value)
    assert jsontext.loads(text) == value == json.loads(text)


def test_stored_json_text_takes_what_orjson_refuses_and_reads_older_rows() -> None:
    import datetime as dt
    import json

    from nbgov.model import jsontext

    assert jsontext.dumps({"n": 2**70}) == '{"n":1180591620717411303424}'  # beyond 64 bits
    assert jsontext.dumps({1: "a"}) == '{"1":"a"}'  # a non-string key, as json writes it
    assert jsontext.dumps({"x": float("nan"), "y": float("inf")}) == '{"x":null,"y":null}'  # not JSON: null
    assert jsontext.dumps({"t": dt.date(2026, 1, 2)}) == '{"t":"2026-01-02"}'
    assert jsontext.dumps({"é": "ü"}) == '{"é":"ü"}'  # UTF-8, no \\u escapes
    big = jsontext.dumps({"n": 2**70, "m": [-(2**66)]})  # orjson would read these back as floats
    assert jsontext.loads(big) == {"n": 2**70, "m": [-(2**66)]} and jsontext.loads(big.encode())["n"] == 2**70
    older = json.dumps({"x": float("nan"), "name": "é"})  # rows written with the standard library
    loaded = jsontext.loads(older)
    assert loaded["name"] == "é" and loaded["x"] != loaded["x"]  # NaN read back as NaN


@given(json_values)
def test_canonical_json_sorts_keys_at_every_level_whatever_their_order(value: object) -> None:
    import json

    from nbgov.model import jsontext

    def reordered(v: object) -> object:
        if isinstance(v, dict):
            return {k: reordered(v[k]) for k in reversed(list(v))}
        if isinstance(v, list):
            return [reordered(x) for x in v]
        return v

    text = jsontext.canonical(value)
    assert text == jsontext.canonical(reordered(value))
    assert json.loads(text) == value


def test_canonical_json_of_what_orjson_refuses_and_of_non_json_objects() -> None:
    import datetime as dt

    from nbgov.model import jsontext

    assert jsontext.canonical({"b": 2**70, "a": 1}) == '{"a":1,"b":1180591620717411303424}'
    assert jsontext.canonical({2: "x", 1: "y"}) == '{"1":"y","2":"x"}'
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert jsontext.canonical({"t": when}) == '{"t":"2026-01-02 03:04:05+00:00"}'  # str(), as json's default=str


def test_numpy_scalars_are_stored_as_their_values_whichever_library_writes() -> None:
    """A NumPy scalar in an event (a model metric, say) stays a number or a bool, on the
    orjson path and on the standard library's (taken here because of a 70-bit integer)."""
    import numpy as np

    from nbgov.model import jsontext

    values = {"f": np.float64(1.5), "i": np.int64(3), "b": np.bool_(True), "h": np.float32(0.25),
              "d": np.datetime64("2026-01-01")}
    expected = '{"b":true,"d":"2026-01-01","f":1.5,"h":0.25,"i":3}'
    assert jsontext.canonical(values) == expected
    assert jsontext.canonical({**values, "n": 2**70}) == expected[:-1] + ',"n":1180591620717411303424}'
    assert jsontext.dumps(values) == '{"f":1.5,"i":3,"b":true,"h":0.25,"d":"2026-01-01"}'
