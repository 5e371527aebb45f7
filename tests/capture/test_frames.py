"""nbgov.capture.frames: which namespace DataFrames a cell read and wrote.

Cells are real Python executed with ``exec`` in a real namespace dict, the way IPython
runs a transformed cell in ``user_ns``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbgov.capture.frames import PROBE_ROWS, WHOLE_BYTES, FrameChanges, FrameTracker

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


def cell(tracker: FrameTracker, ns: dict, code: str) -> FrameChanges:
    code = textwrap.dedent(code)
    snap = tracker.before(ns, code)
    exec(compile(code, "<cell>", "exec"), ns)  # noqa: S102 - running the cell is the point
    return tracker.after(snap, ns)


@pytest.fixture
def tracker() -> FrameTracker:
    return FrameTracker()


@pytest.fixture
def ns() -> dict:
    return {
        "pd": pd,
        "np": np,
        "df": pd.DataFrame({"a": [1, 2, 3], "b": [1.5, None, 3.5], "s": ["x", "y", "z"]}),
        "other": pd.DataFrame({"k": [1, 2]}),
        "n": 5,
        "text": "df",
    }


def test_read_only_use(tracker, ns):
    obj = ns["df"]
    ch = cell(tracker, ns, "total = df.a.sum() + df['b'].mean()")
    assert (ch.read, ch.written, ch.deleted) == (("df",), (), ())
    assert ch.objects == {"df": obj} and ch.previous == {"df": obj}
    assert ch


def test_cell_touching_no_frame(tracker, ns):
    ch = cell(tracker, ns, "n = n + 1\nprint(text)")
    assert ch == FrameChanges() and not ch


def test_attribute_chains_groupby(tracker, ns):
    ch = cell(tracker, ns, "g = df.groupby('s').agg({'a': 'sum'})")
    assert ch.read == ("df",) and ch.written == ("g",)
    assert ch.objects["g"] is ns["g"] and "g" not in ch.previous


def test_new_frame_from_nothing(tracker, ns):
    ch = cell(tracker, ns, "fresh = pd.DataFrame({'z': [1]})")
    assert (ch.read, ch.written) == ((), ("fresh",))


def test_reassignment_reads_old_and_writes_new(tracker, ns):
    old = ns["df"]
    ch = cell(tracker, ns, "df = df.dropna()")
    assert (ch.read, ch.written) == (("df",), ("df",))
    assert ch.previous["df"] is old and ch.objects["df"] is ns["df"] is not old


def test_rebinding_without_reading(tracker, ns):
    ch = cell(tracker, ns, "df = pd.DataFrame({'q': [0]})")
    assert (ch.read, ch.written) == ((), ("df",))


@pytest.mark.parametrize(
    "code",
    [
        "df = pd.DataFrame({'a': [1]})\ntotal = df.a.sum()",  # a re-run cell: rebinds, then reads
        "df, other = other.copy(), pd.DataFrame()\nx = df.k.sum() + len(other)",
        "df: pd.DataFrame = pd.DataFrame()\ndef f():\n    return df\ny = f()",
        "import pandas as df\nz = df.DataFrame()",
    ],
)
def test_a_load_after_the_cell_rebinds_the_name_is_not_a_read_of_the_old_frame(tracker, ns, code):
    ch = cell(tracker, ns, code)
    assert "df" not in ch.read, code
    assert ch.read == (("other",) if "other.copy" in code else ())


@pytest.mark.parametrize(
    "code",
    [
        "total = df.a.sum()\ndf = pd.DataFrame({'a': [1]})",  # read before the rebinding
        "if n > 100:\n    df = pd.DataFrame()\ntotal = len(df)",  # the rebinding may not happen
        "for i in range(1):\n    df = other\ntotal = len(df)",
        "df = df.dropna()\ntotal = len(df)",  # the value is evaluated before the name is bound
        "df['a'] = 0\ndf = df.copy()",  # a subscript target binds no name
    ],
)
def test_loads_that_may_see_the_old_frame_stay_reads(tracker, ns, code):
    ch = cell(tracker, ns, code)
    assert "df" in ch.read, code


def test_alias_is_a_write_of_the_new_name(tracker, ns):
    ch = cell(tracker, ns, "alias = df")
    assert (ch.read, ch.written) == (("df",), ("alias",))
    ch = cell(tracker, ns, "x = 1")  # nothing changed: neither name is written
    assert ch == FrameChanges()


@pytest.mark.filterwarnings("ignore:The inplace keyword")
@pytest.mark.parametrize(
    "code",
    [
        "df['c'] = df['a'] * 2",  # new column
        "df['a'] = 0",  # replace a column
        "df.loc[1, 'a'] = 100",  # .loc write, same dtype: in place
        "df.loc[df.a > 1, 's'] = 'big'",  # masked .loc write on a string column
        "df.iloc[0, 1] = -1.0",  # .iloc write
        "df.at[2, 'b'] = 0.0",  # .at write
        "df.iat[0, 0] = 7",  # .iat write
        "df.fillna(0, inplace=True)",  # inplace=True
        "df.sort_values('a', ascending=False, inplace=True)",
        "df.drop(columns=['s'], inplace=True)",
        "df.rename(columns={'a': 'A'}, inplace=True)",
        "df.reset_index(drop=True, inplace=True); df.index = [7, 8, 9]",
        "df.columns = ['x', 'y', 'z']",
        "df['a'] += 1",
        "df.insert(0, 'first', 1)",
        "df.pop('b')",
        "df.update(pd.DataFrame({'a': [9]}))",
        "df.loc[3] = [4, 4.5, 'w']",  # enlargement
    ],
)
def test_in_place_changes_are_writes(tracker, ns, code):
    obj = ns["df"]
    ch = cell(tracker, ns, code)
    assert ch.written == ("df",), code
    assert ch.read == ("df",)
    assert ns["df"] is obj and ch.objects["df"] is obj  # the same object, changed in place


def test_in_place_changes_inside_a_function(tracker, ns):
    cell(tracker, ns, "def touch():\n    df.iloc[0, 0] = -5")
    ch = cell(tracker, ns, "touch()")
    assert ch.read == () and ch.written == ("df",)  # seen although the cell never names df


def test_in_place_write_to_an_alias_shows_under_both_names(tracker, ns):
    cell(tracker, ns, "alias = df")
    ch = cell(tracker, ns, "alias.loc[0, 'a'] = 42")
    assert ch.read == ("alias",) and ch.written == ("alias", "df")


def test_del_is_not_an_output(tracker, ns):
    ch = cell(tracker, ns, "del df")
    assert (ch.read, ch.written, ch.deleted) == ((), (), ("df",))
    assert ch.objects == {} and ch.previous == {}
    ch = cell(tracker, ns, "y = other.k.sum()\ndel other")
    assert (ch.read, ch.written, ch.deleted) == (("other",), (), ("other",))
    assert "other" not in ch.objects and ch.previous["other"] is not None


def test_rebinding_to_a_non_frame_is_a_deletion(tracker, ns):
    ch = cell(tracker, ns, "df = 3")
    assert (ch.read, ch.written, ch.deleted) == ((), (), ("df",))


@pytest.mark.parametrize(
    "code",
    [
        "msg = f'{df.shape[0]} rows, {other!r:>10}'",
        "msg = f'{[c for c in df.columns]} {other}'",
        "sizes = [len(f) for f in (df, other)]",
        "sizes = {name: len(f) for name, f in [('a', df), ('b', other)]}",
        "sizes = list(len(f) for f in [df, other])",
        "fn = lambda: df.a.max() + other.k.max()",
        "def later():\n    return df, other",
        "if len(df):\n    with open('/dev/null', 'w') as fh:\n        print(other, file=fh)",
        "x = n if not isinstance(df, int) else other",
    ],
)
def test_references_in_nested_constructs_are_reads(tracker, ns, code):
    ch = cell(tracker, ns, code)
    assert ch.read == ("df", "other"), code
    assert ch.written == ()


def test_text_mentions_are_not_reads(tracker, ns):
    ch = cell(tracker, ns, "# df is mentioned here\nlabel = 'df and other'\nn2 = n")
    assert ch.read == ()


def test_augmented_assignment_reads(tracker, ns):
    ns["nums"] = pd.DataFrame({"v": [1, 2]})
    ch = cell(tracker, ns, "nums *= 2")
    assert ch.read == ("nums",) and ch.written == ("nums",)


def test_code_that_does_not_parse_reads_nothing(tracker, ns):
    snap = tracker.before(ns, "df.a.sum(")
    ch = tracker.after(snap, ns)
    assert ch == FrameChanges()


def test_non_dataframe_variables_are_ignored(tracker, ns):
    ch = cell(tracker, ns, "s = df['a']\narr = df.to_numpy()\nlst = [df]\nd = {'f': df}\nn = 6")
    assert ch.read == ("df",) and ch.written == ()


def test_output_cache_names_are_ignored(tracker, ns):
    ch = cell(tracker, ns, "_ = df.copy(); _12 = df.copy(); __ = df.copy(); _private = df.copy()")
    assert ch.written == ("_private",)


def test_custom_ignore(ns):
    tracker = FrameTracker(ignore=lambda name: name.startswith("tmp"))
    ch = cell(tracker, ns, "tmp_x = df.copy(); keep = df.copy()")
    assert ch.written == ("keep",)


def test_frame_kinds_all_tracked(tracker):
    ns = {"pl": pl, "pa": pa}
    ch = cell(
        tracker,
        ns,
        """
        p = pl.DataFrame({'a': [1, 2, 3]})
        lazy = p.lazy().filter(pl.col('a') > 1)
        t = pa.table({'a': [1, 2]})
        rb = pa.RecordBatch.from_pydict({'a': [1]})
        """,
    )
    assert ch.written == ("lazy", "p", "rb", "t")
    ch = cell(tracker, ns, "q = p.height + t.num_rows + rb.num_rows\nr = lazy.collect()")
    assert ch.read == ("lazy", "p", "rb", "t") and ch.written == ("r",)
    ch = cell(tracker, ns, "t = t.append_column('b', pa.array([3, 4]))")
    assert ch.read == ("t",) and ch.written == ("t",)


@pytest.mark.parametrize(
    "code",
    [
        "p[0, 'a'] = 100",
        "p.insert_column(1, pl.Series('b', [1, 2, 3]))",
        "p.columns = ['z']",
        "p.extend(pl.DataFrame({'a': [4]}))",
        "p.drop_in_place('a')",
    ],
)
def test_polars_in_place_changes(tracker, code):
    ns = {"pl": pl, "p": pl.DataFrame({"a": [1, 2, 3]})}
    obj = ns["p"]
    ch = cell(tracker, ns, code)
    assert ch.written == ("p",) and ns["p"] is obj


def test_large_frames_are_not_hashed_but_probed_rows_are_seen(tracker):
    n = 1_000_000
    ns = {
        "big": pd.DataFrame(
            {"a": np.arange(n), "b": np.zeros(n), "s": pd.Series(np.arange(n) % 7).astype(str)}
        )
    }
    assert cell(tracker, ns, "y = big.a.sum()").written == ()
    assert cell(tracker, ns, "big.iloc[0, 0] = -1").written == ("big",)
    assert cell(tracker, ns, f"big.iloc[{n - 1}, 1] = 9.0").written == ("big",)
    assert cell(tracker, ns, "big.loc[big.a % 2 == 0, 'a'] = 0").written == ("big",)
    assert cell(tracker, ns, "big.iloc[5, 2] = 'new'").written == ("big",)  # Arrow strings are replaced
    assert cell(tracker, ns, "big['c'] = 1").written == ("big",)
    assert cell(tracker, ns, "z = big.a.max()").written == ()


@pytest.mark.parametrize(
    "column",
    [
        pd.array([1, None, 3], dtype="Int64"),
        pd.array([True, None, False], dtype="boolean"),
        pd.array(["a", None, "c"], dtype="string[pyarrow]"),
        pd.array(["a", None, "c"], dtype="string[python]"),
        pd.Categorical(["a", "b", "a"]),
        pd.date_range("2024-01-01", periods=3, tz="UTC"),
        pd.to_timedelta([1, 2, 3], unit="s"),
        np.array([[1], {"k": 2}, None], dtype=object),
    ],
    ids=["Int64", "boolean", "arrow-string", "python-string", "category", "tz", "timedelta", "object"],
)
def test_extension_dtypes_in_place_writes(tracker, column):
    ns = {"df": pd.DataFrame({"c": column, "i": [1, 2, 3]})}
    assert cell(tracker, ns, "x = len(df)").written == ()
    new = {"Int64": 9, "boolean": False, "string": "zz", "str": "zz", "category": "b"}.get(
        str(ns["df"]["c"].dtype)
    )
    if new is None:
        new = ns["df"]["c"].iloc[2]  # datetimes, timedeltas, objects: copy another cell's value
    ns["new"] = new
    assert cell(tracker, ns, "df.iloc[0, 0] = new").written == ("df",)


def test_a_frame_the_cell_rebinds_without_reading_is_not_held_while_it_runs(tracker, ns):
    """A re-run ``df = …`` frees the previous ``df`` at the rebinding, as without nbgov;
    a frame the code reads first stays held (it is an input)."""
    import weakref

    ns["_old"] = weakref.ref(ns["df"])
    ch = cell(tracker, ns, "df = pd.DataFrame({'q': [0]})\nalive = _old() is not None\ntotal = len(df)")
    assert ns["alive"] is False
    assert (ch.read, ch.written) == ((), ("df",)) and "df" not in ch.previous
    ns["_old"] = weakref.ref(ns["other"])
    ch = cell(tracker, ns, "other = other.copy()\nalive = _old() is not None")
    assert ns["alive"] is True and (ch.read, ch.written) == (("other",), ("other",))
    assert ch.previous["other"] is not ch.objects["other"]


def test_a_cell_that_stops_before_rebinding_leaves_the_frame_unwritten(tracker, ns):
    code = "x = 1 / 0\ndf = pd.DataFrame()"
    snap = tracker.before(ns, code)
    with pytest.raises(ZeroDivisionError):
        exec(compile(code, "<cell>", "exec"), ns)  # noqa: S102 - running the cell is the point
    ch = tracker.after(snap, ns)
    assert (ch.read, ch.written, ch.deleted) == ((), (), ())


def test_references_are_released_after_the_cell(tracker, ns):
    snap = tracker.before(ns, "x = df")
    assert "df" in repr(snap)
    tracker.after(snap, ns)
    assert repr(snap) == "<Snapshot of 0 frame(s): >"


def test_probe_rows_setting(ns):
    n = 4 * WHOLE_BYTES // 8  # larger than what is compared whole
    ns["mid"] = pd.DataFrame({"a": np.arange(n), "f": np.zeros(n)})  # two blocks: .loc writes in place
    coarse, fine = FrameTracker(probe_rows=2), FrameTracker(probe_rows=n)
    for tracker, seen in ((coarse, ()), (fine, ("mid",))):
        assert cell(tracker, ns, "mid.loc[3, 'a'] = mid.loc[3, 'a'] + 1").written == seen


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, PROBE_ROWS),
    row=st.integers(0, PROBE_ROWS - 1),
    value=st.integers(-100, 100),
    col=st.sampled_from(["i", "f", "o"]),
)
def test_any_single_cell_edit_in_a_small_frame_is_seen(rows, row, value, col):
    tracker = FrameTracker()
    ns = {
        "df": pd.DataFrame(
            {
                "i": np.arange(rows),
                "f": np.arange(rows) + 0.5,
                "o": pd.Series([str(i) for i in range(rows)], dtype=object),
            }
        )
    }
    row %= rows
    old = ns["df"][col].iloc[row]
    new = {"i": value, "f": value + 0.25, "o": f"v{value}"}[col]
    ns["new"] = new
    ch = cell(tracker, ns, f"df.loc[{row}, '{col}'] = new")
    assert ch.written == (("df",) if new != old else ())
