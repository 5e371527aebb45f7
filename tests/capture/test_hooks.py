"""The capture contract: locations, accesses, the active capture, wrappers and the registry."""

from __future__ import annotations

import inspect
import sys
import threading
import types
from pathlib import Path

import pytest

from nbgov.capture import access
from nbgov.capture.access import Access, CellCapture, Location
from nbgov.capture.hooks import HookRegistry, Patch, location_for_path, wrap


@pytest.fixture
def capture():
    cap = CellCapture()
    access.activate(cap)
    yield cap
    access.deactivate()


def test_location_is_hashable_and_normalised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a = Location.file("data/../x.csv")
    assert a == Location.of("file", path=str(tmp_path / "x.csv"))
    assert a.get("path") == str(tmp_path / "x.csv")
    assert {a: 1}[Location.file(tmp_path / "x.csv")] == 1
    assert Location.of("postgres", host="h", port=5432, table=None).as_dict() == {"host": "h", "port": "5432"}
    with pytest.raises(ValueError, match="direction"):
        Access("read", a, "x")


def test_capture_merges_per_direction_and_location(capture: CellCapture) -> None:
    loc = Location.file("/tmp/a.csv")
    capture.add(Access("input", loc, "pandas.read_csv", fields=[("a", "int64")], facets={"version": {"v": 1}}))
    capture.add(Access("input", loc, "polars.read_csv", facets={"dataSource": {"name": "file"}}))
    capture.add(Access("output", loc, "pandas.DataFrame.to_csv"))
    (first, second) = capture.accesses
    assert first.via == "pandas.read_csv" and first.fields == (("a", "int64"),)
    assert first.facets == {"version": {"v": 1}, "dataSource": {"name": "file"}}
    assert second.direction == "output"
    assert [a.direction for a in capture.inputs] == ["input"] and len(capture.outputs) == 1


def test_record_only_when_active() -> None:
    loc = Location.file("/tmp/a.csv")
    assert access.record(Access("input", loc, "x")) is False
    cap = CellCapture()
    access.activate(cap)
    try:
        assert access.record(Access("input", loc, "x")) is True
    finally:
        assert access.deactivate() is cap
    assert len(cap) == 1


def test_calling_marks_nesting_per_thread() -> None:
    seen = []
    with access.calling() as outer, access.calling() as inner:
        seen.append((outer, inner, access.nested()))
        other = threading.Thread(target=lambda: seen.append(access.nested()))
        other.start()
        other.join()
    assert seen == [(True, False, True), False]
    assert not access.nested()


def test_calling_restores_the_depth_when_the_call_raises() -> None:
    with pytest.raises(KeyError), access.calling() as outer:
        assert outer and access.nested()
        with access.calling() as inner:
            assert not inner
            raise KeyError("the library's own error")
    assert not access.nested()


def test_guard_running_reports_an_exception_and_lets_base_exceptions_through() -> None:
    from nbgov.magics.guard import Guard

    shown: list[str] = []
    guard = Guard(notify=shown.append)
    with guard.running("store"):
        pass
    assert guard.counts == {} and shown == []
    for _ in range(2):
        with guard.running("store"):
            raise OSError("disk full")
    assert guard.counts == {"store": 2}
    assert len(shown) == 1 and "store failed (OSError: disk full)" in shown[0]  # once per kind
    with pytest.raises(KeyboardInterrupt), guard.running("store"):
        raise KeyboardInterrupt
    assert guard.counts == {"store": 2}


def _reader(path: str, *, fail: bool = False) -> str:
    """Read a thing."""
    if fail:
        raise KeyError("user's own error")
    return path.upper()


def _describe(args, kwargs, result):
    return [Access("input", Location.file(args[0]), "test.read", obj=result)]


def test_wrap_records_outermost_calls_only(capture: CellCapture) -> None:
    wrapped = wrap(_reader, _describe, "test.read")
    assert wrapped.__name__ == "_reader" and wrapped.__doc__ == "Read a thing."
    assert inspect.signature(wrapped) == inspect.signature(_reader)
    outer = wrap(lambda p: wrapped(p + ".inner"), _describe, "test.outer")
    assert outer("/tmp/x") == "/TMP/X.INNER"
    assert [a.location.get("path") for a in capture.accesses] == ["/tmp/x"]
    assert wrapped("/tmp/y") == "/TMP/Y"
    assert [a.obj for a in capture.accesses] == ["/TMP/X.INNER", "/TMP/Y"]


def test_wrap_passes_through_without_capture() -> None:
    calls = []
    wrapped = wrap(_reader, lambda *a: calls.append(a) or [], "test.read")
    assert wrapped("/tmp/z") == "/TMP/Z"
    assert calls == []


def test_failing_call_records_nothing_and_keeps_the_exception(capture: CellCapture) -> None:
    wrapped = wrap(_reader, _describe, "test.read")
    with pytest.raises(KeyError) as raised:
        wrapped("/tmp/x", fail=True)
    assert raised.value.args == ("user's own error",)
    assert raised.traceback[-1].name == "_reader"  # the original frame is where it raised
    assert capture.accesses == [] and capture.errors == []
    assert not access.nested()


def test_describe_failure_is_recorded_not_raised(capture: CellCapture) -> None:
    def broken(args, kwargs, result):
        raise RuntimeError("describe broke")

    assert wrap(_reader, broken, "test.read")("/tmp/x") == "/TMP/X"
    ((stage, exc),) = capture.errors
    assert stage == "capture:test.read" and str(exc) == "describe broke"


class _Base:
    def inherited(self, x):
        return ("inherited", x)


class _Target(_Base):
    def method(self, x):
        return ("method", x)

    @classmethod
    def build(cls, x):
        return (cls.__name__, x)

    @staticmethod
    def helper(x):
        return ("helper", x)

    @property
    def prop(self):
        return "prop"


def _fake_adapter(module_name: str, owner: str = "_Target") -> types.ModuleType:
    adapter = types.ModuleType(f"fake_adapter_{module_name}")
    adapter.MODULE = module_name

    def describe(args, kwargs, result):
        return [Access("input", Location.of("model", name=repr(result)), "fake")]

    adapter.patches = lambda: [
        Patch(f"{module_name}:{owner}.{name}", describe) for name in ("method", "build", "helper", "prop", "inherited")
    ]
    return adapter


def test_registry_installs_and_restores_exactly(capture: CellCapture) -> None:
    module = sys.modules[__name__]
    originals = {name: _Target.__dict__[name] for name in ("method", "build", "helper", "prop")}
    registry = HookRegistry()
    registry.register(_fake_adapter(__name__))
    assert len(registry.install_available()) == 5
    assert registry.install_available() == []  # attempted once
    t = _Target()
    assert (t.method(1), _Target.build(2), _Target.helper(3), t.prop, t.inherited(4)) == (
        ("method", 1), ("_Target", 2), ("helper", 3), "prop", ("inherited", 4))
    assert len(capture.accesses) == 5
    assert "inherited" in _Target.__dict__
    restored = registry.uninstall()
    assert len(restored) == 5 and registry.installed == []
    assert {name: _Target.__dict__[name] for name in originals} == originals
    assert "inherited" not in _Target.__dict__
    assert module._Target is _Target


def test_registry_waits_for_the_library_and_reports_bad_patches() -> None:
    registry = HookRegistry()
    adapter = types.ModuleType("fake_missing")
    adapter.MODULE = "nbgov_no_such_library"
    adapter.patches = list
    registry.register(adapter)
    broken = _fake_adapter(__name__, owner="NoSuchClass")
    registry.register(broken)
    assert registry.install_available() == []
    assert {stage.split(":")[0] for stage, _ in registry.errors} == {"hooks"}
    with pytest.raises(TypeError):
        registry.register(types.ModuleType("not_an_adapter"))
    registry.uninstall()


def test_watch_imports_installs_right_after_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capture: CellCapture) -> None:
    (tmp_path / "nbgov_fake_lib.py").write_text("def read(path):\n    return path * 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    adapter = types.ModuleType("fake_lib_adapter")
    adapter.MODULE = "nbgov_fake_lib"
    adapter.patches = lambda: [Patch("nbgov_fake_lib:read", _describe, via="fake.read")]
    registry = HookRegistry()
    registry.register(adapter)
    registry.watch_imports()
    try:
        import nbgov_fake_lib

        assert nbgov_fake_lib.read("/tmp/q") == "/tmp/q/tmp/q"
        assert [a.location.get("path") for a in capture.accesses] == ["/tmp/q"]
        assert type(nbgov_fake_lib.__spec__.loader).__name__ == "SourceFileLoader"
    finally:
        registry.uninstall()
        sys.modules.pop("nbgov_fake_lib", None)
    assert not any(type(f).__name__ == "_ImportWatcher" for f in sys.meta_path)


def test_location_for_path(tmp_path: Path) -> None:
    import io

    target = tmp_path / "a.csv"
    target.write_text("x\n")
    assert location_for_path(target) == Location.file(target)
    assert location_for_path(f"file://{target}") == Location.file(target)
    assert location_for_path("s3://user:secret@bucket/k/x.parquet") == Location.of("s3", url="s3://bucket/k/x.parquet")
    with open(target) as handle:
        assert location_for_path(handle) == Location.file(target)
    assert location_for_path(io.StringIO("x")) is None
    assert location_for_path(None) is None and location_for_path("  ") is None


def test_a_library_still_importing_is_not_patched_yet(monkeypatch):
    """pandas imports pyarrow before pandas itself is complete: patching then would
    find attributes missing and give up on the library for good."""
    import types

    from nbgov.capture import hooks

    module = types.ModuleType("nbgov_half_imported")
    module.__spec__ = types.SimpleNamespace(_initializing=True)
    monkeypatch.setitem(sys.modules, "nbgov_half_imported", module)
    assert not hooks._imported("nbgov_half_imported")
    module.__spec__._initializing = False
    assert hooks._imported("nbgov_half_imported")
    assert not hooks._imported("nbgov_never_imported")
