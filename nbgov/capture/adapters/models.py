"""Fitted models (scikit-learn API) and models saved or loaded with joblib.

Hooked once scikit-learn is imported (``MODULE = "sklearn"``):

- ``fit``, ``fit_transform``, ``fit_predict`` and ``partial_fit`` defined by every
  subclass of ``sklearn.base.BaseEstimator`` — scikit-learn's own estimators and any
  third-party estimator built on it (xgboost, lightgbm, imbalanced-learn …). Classes
  defined before the hooks install are found by walking ``BaseEstimator``'s subclasses
  (about 0.2 ms for all of scikit-learn's ~260 classes); classes defined later are hooked
  as they are created, through ``BaseEstimator.__init_subclass__``. scikit-learn ≥ 1.3
  wraps each ``fit`` in ``_fit_context`` at class definition, which cannot be patched
  afterwards; patching the method a class defines wraps that decorated method, so the
  estimator's own validation runs unchanged. Only methods a class defines itself are
  wrapped; an inherited ``fit`` is recorded through its owner's wrapper, with the
  instance's own class. Any other class with ``fit`` can be added with
  :func:`register_estimator`.
- ``joblib.dump`` / ``joblib.load``, installed with scikit-learn's hooks (scikit-learn
  imports joblib); a model saved by a notebook that never imports scikit-learn is seen
  by the ``open()`` safety net only (:mod:`nbgov.capture.adapters.builtins_open`).
- ``pickle.dump`` / ``pickle.load`` are NOT hooked: they are C functions, and IPython
  always shows a traceback's innermost frame, so a wrapper would appear in every failing
  pickle's traceback (``PicklingError`` on a lambda, ``pandas.read_pickle`` of a bad
  file). ``with open("m.pkl", "wb") as f: pickle.dump(model, f)`` in a cell is recorded
  by the ``open()`` safety net as a file output (without the model's tags).

A successful outermost fit, called by user code (not by scikit-learn, joblib or another
modelling library: the fits of ``cross_val_score``'s clones are not models the user
keeps), records an **output** of kind ``model`` whose ``name`` is the variable holding
the estimator (looked up by identity in the caller's namespace, else — for ``fit`` and
``partial_fit``, which return the model — the target of the assignment the call is part
of: ``model = Ridge().fit(X, y)``, else the class name).
A refit in a later cell is a new output of the same model. Its facets:

- ``datasetType``: ``{"datasetType": "MODEL", "subType": "<module>.<class>"}``;
- ``tags``: ``estimator`` (the class), ``method`` (``fit`` …), ``param.<name>`` for
  each hyperparameter (``get_params(deep=False)``, values as short text) and the
  training data: ``training.X`` / ``training.y`` (variable names, when the data is a
  variable), ``training.rows``, ``training.target`` (a named ``y``);
- ``fields``: the features — the training frame's columns and types, else
  ``feature_names_in_``, else ``x0`` … ``xN`` with the array's dtype (``unknown`` for
  lists of rows, counted by ``n_features_in_``).

A fitted model's training data is read by the cell, so the frames it came from are the
cell's inputs (the namespace tracker records them): the lineage is
*training data → cell → model*.

``joblib.dump(model, path)`` records the file as an output, ``joblib.load(path)`` as an
input (``version`` from the file's size and mtime); when the object is a model, the
file carries the same ``datasetType`` and ``tags`` facets plus a ``model`` tag naming
the model variable — the link between the model and its file.
"""

from __future__ import annotations

import ast
import functools
import linecache
import logging
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location
from nbgov.capture.adapters.builtins_open import Lifecycle, user_frame
from nbgov.capture.hooks import ORIGINAL_ATTR, Patch, argument, file_facets, location_for_path

__all__ = ["FIT_METHODS", "MODULE", "model_facets", "patches", "register_estimator"]

MODULE = "sklearn"

log = logging.getLogger(__name__)

#: the methods that fit a model
FIT_METHODS = ("fit", "fit_transform", "fit_predict", "partial_fit")
#: top-level packages whose fit calls are internal (clones, cross-validation, ensembles)
LIBRARY_CALLERS = frozenset({
    "sklearn", "joblib", "nbgov", "imblearn", "xgboost", "lightgbm", "catboost", "optuna", "skopt",
    "mlflow", "sktime", "category_encoders", "threadpoolctl", "concurrent", "multiprocessing", "threading",
})
_TAG_VALUE_MAX = 200
_MAX_ARRAY_FIELDS = 1000

_lock = threading.RLock()
_hooked: dict[tuple[type, str], Any] = {}  # (class, method) → the function it defined
_registered: list[type] = []


# -------------------------------------------------------------------- describing
def _text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _TAG_VALUE_MAX else text[: _TAG_VALUE_MAX - 1] + "…"


def _class_name(obj: Any) -> str:
    cls = type(obj)
    module = cls.__module__ or ""
    public = module.split(".", 1)[0] if module.startswith("sklearn.") else module
    return f"{public}.{cls.__qualname__}" if public else cls.__qualname__


def is_model(obj: Any) -> bool:
    """Whether ``obj`` is an estimator instance (scikit-learn API or registered)."""
    if isinstance(obj, type) or not callable(getattr(obj, "fit", None)):
        return False
    return callable(getattr(obj, "get_params", None)) or isinstance(obj, tuple(_registered))


def _tag(key: str, value: Any) -> dict[str, str]:
    return {"key": key, "value": _text(value), "source": "INTEGRATION"}


def model_facets(model: Any, *, extra: list[dict[str, str]] | None = None) -> dict[str, dict[str, Any]]:
    """``datasetType`` and ``tags`` facet payloads for a model: its class and hyperparameters.

    Args:
        model: the estimator.
        extra: more tags (``{"key", "value", "source"}``) to append.
    """
    tags = [_tag("estimator", f"{type(model).__module__}.{type(model).__qualname__}")]
    get_params = getattr(model, "get_params", None)
    if callable(get_params):
        try:
            params = get_params(deep=False)
        except Exception:  # noqa: BLE001 - an estimator breaking the API: no params
            params = {}
        tags += [_tag(f"param.{k}", v) for k, v in sorted(params.items())]
    tags += extra or []
    return {
        "datasetType": {"datasetType": "MODEL", "subType": _class_name(model)},
        "tags": {"tags": tags},
    }


def _features(model: Any, X: Any) -> tuple[tuple[str, str], ...] | None:
    dtypes = getattr(X, "dtypes", None)
    columns = getattr(X, "columns", None)
    if columns is not None and dtypes is not None:
        try:
            if hasattr(dtypes, "items"):  # pandas
                return tuple((str(c), str(t)) for c, t in dtypes.items())
            return tuple((str(c), str(t)) for c, t in zip(columns, dtypes, strict=True))  # polars
        except Exception:  # noqa: BLE001, S110 - fall back to the fitted names
            pass
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return tuple((str(n), "unknown") for n in names)
    shape, dtype = getattr(X, "shape", None), getattr(X, "dtype", None)
    if shape is not None and dtype is not None and len(shape) == 2 and shape[1] <= _MAX_ARRAY_FIELDS:
        return tuple((f"x{i}", str(dtype)) for i in range(shape[1]))
    count = getattr(model, "n_features_in_", None)  # lists of rows: the count the fit saw
    if isinstance(count, int) and 0 < count <= _MAX_ARRAY_FIELDS:
        return tuple((f"x{i}", "unknown") for i in range(count))
    return None


def _named(obj: Any, frame: types.FrameType | None) -> str | None:
    """A variable of ``frame`` (locals, then globals) bound to ``obj``."""
    if frame is None or obj is None:
        return None
    for namespace in (frame.f_locals, frame.f_globals):
        for key, value in list(namespace.items()):
            if value is obj and not key.startswith("_"):
                return key
    return None


def _assigned(frame: types.FrameType) -> str | None:
    """The name the statement running at ``frame``'s line assigns, if a single name."""
    filename = frame.f_code.co_filename
    lines = linecache.getlines(filename, frame.f_globals)
    if not lines:
        return None
    tree = _parse("".join(lines))
    if tree is None:
        return None
    line, best = frame.f_lineno, None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno <= line <= (node.end_lineno or node.lineno):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name) and (best is None or node.lineno >= best[0]):
                best = (node.lineno, targets[0].id)
    return best[1] if best else None


@functools.lru_cache(maxsize=64)
def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def model_name(model: Any, frame: types.FrameType | None, *, returns_model: bool = True) -> str:
    """The model's variable name as seen from ``frame`` (see the module docs);
    ``returns_model`` says whether the call returns the model (``fit`` does,
    ``fit_transform`` does not), so that an assignment's target may name it."""
    name = _named(model, frame)
    if name is None and returns_model and frame is not None and user_frame(frame):
        name = _assigned(frame)
    return name or type(model).__qualname__


def describe_fit(model: Any, method: str, args: tuple, kwargs: dict, frame: types.FrameType | None,
                 via: str) -> list[Access]:
    """The model output of one fit call (``args`` without ``self``)."""
    X = args[0] if args else kwargs.get("X", kwargs.get("raw_documents"))
    y = args[1] if len(args) > 1 else kwargs.get("y")
    extra = [_tag("method", method)]
    for label, data in (("X", X), ("y", y)):
        name = _named(data, frame) if data is not None else None
        if name is not None:
            extra.append(_tag(f"training.{label}", name))
    shape = getattr(X, "shape", None)
    rows = shape[0] if shape else (len(X) if isinstance(X, (list, tuple)) else None)
    if rows is not None:
        extra.append(_tag("training.rows", rows))
    target = getattr(y, "name", None)
    if isinstance(target, str):
        extra.append(_tag("training.target", target))
    location = Location.of("model", name=model_name(model, frame, returns_model=method in ("fit", "partial_fit")))
    return [Access("output", location, via, fields=_features(model, X), facets=model_facets(model, extra=extra))]


# ------------------------------------------------------------------- fit wrappers
def _library_caller(frame: types.FrameType | None, model: Any) -> bool:
    if frame is None:
        return True
    package = (frame.f_globals.get("__name__") or "").split(".", 1)[0]
    if package == "__main__":
        return False
    return package in LIBRARY_CALLERS or package == (type(model).__module__ or "").split(".", 1)[0]


def _fit_wrapper(original: Callable[..., Any], method: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        capture = _access._active
        if capture is None or _access.nested():
            return original(self, *args, **kwargs)
        caller = sys._getframe(1)
        if _library_caller(caller, self):
            del caller
            return original(self, *args, **kwargs)
        via = f"{_class_name(self)}.{method}"
        accesses: list[Access] = []
        try:
            with _access.calling():
                result = original(self, *args, **kwargs)
                try:
                    accesses = describe_fit(self, method, args, kwargs, caller, via)
                except Exception as exc:
                    log.debug("capture:%s failed", via, exc_info=True)
                    capture.fail(f"capture:{via}", exc)
        finally:
            del caller
        capture.extend(accesses)
        return result

    setattr(wrapper, ORIGINAL_ATTR, original)
    return wrapper


def _hook_class(cls: type) -> None:
    """Wrap the fit methods ``cls`` and its bases (mixins included) define themselves."""
    with _lock:
        for klass in cls.__mro__[:-1]:  # not object
            for method in FIT_METHODS:
                raw = klass.__dict__.get(method)
                if (not isinstance(raw, types.FunctionType) or hasattr(raw, ORIGINAL_ATTR)
                        or (klass, method) in _hooked):
                    continue
                try:
                    setattr(klass, method, _fit_wrapper(raw, method))
                except (TypeError, AttributeError):  # an immutable class
                    log.debug("cannot hook %s.%s", klass.__qualname__, method, exc_info=True)
                    continue
                _hooked[(klass, method)] = raw


def _subclasses(base: type) -> list[type]:
    seen: dict[type, None] = {}
    stack = [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen[sub] = None
                stack.append(sub)
    return list(seen)


def register_estimator(cls: type | Any) -> type:
    """Record the fits of ``cls`` (a class with ``fit``, or an instance of one) like a
    scikit-learn estimator's. Usable as a class decorator; idempotent.

    Returns:
        The class.

    Raises:
        TypeError: ``cls`` has no callable ``fit``.
    """
    if not isinstance(cls, type):
        cls = type(cls)
    if not callable(getattr(cls, "fit", None)):
        raise TypeError(f"{cls.__qualname__} has no fit method")
    with _lock:
        if cls not in _registered:
            _registered.append(cls)
        if _LIFECYCLE.on:
            for klass in (cls, *_subclasses(cls)):
                _hook_class(klass)
    return cls


def _on() -> None:
    from sklearn.base import BaseEstimator

    with _lock:
        for cls in (BaseEstimator, *_subclasses(BaseEstimator)):
            _hook_class(cls)
        for registered in _registered:
            for cls in (registered, *_subclasses(registered)):
                _hook_class(cls)


def _off() -> None:
    with _lock:
        for (cls, method), raw in reversed(list(_hooked.items())):
            current = cls.__dict__.get(method)
            if getattr(current, ORIGINAL_ATTR, None) is raw:
                try:
                    setattr(cls, method, raw)
                except (TypeError, AttributeError):  # pragma: no cover - an immutable class
                    log.debug("cannot restore %s.%s", cls.__qualname__, method, exc_info=True)
        _hooked.clear()


_LIFECYCLE = Lifecycle(__name__, "_LIFECYCLE", _on, _off)


def _init_subclass_hook(original: Callable[..., Any]) -> Any:
    """``BaseEstimator.__init_subclass__``: hooks each estimator class as it is defined."""
    from sklearn.base import BaseEstimator

    def __init_subclass__(cls: type, **kwargs: Any) -> None:
        super(BaseEstimator, cls).__init_subclass__(**kwargs)
        if _LIFECYCLE.on:
            try:
                _hook_class(cls)
            except Exception:  # never break a class definition
                log.debug("hooking %s failed", cls.__qualname__, exc_info=True)

    setattr(__init_subclass__, ORIGINAL_ATTR, original)
    return classmethod(__init_subclass__)


# ------------------------------------------------------------------------ joblib
def _framed(describe: Callable[..., list[Access]], via: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A wrapper factory like :func:`nbgov.capture.hooks.wrap` whose ``describe`` also
    gets the caller's frame."""

    def factory(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            capture = _access._active
            if capture is None or _access.nested():
                return original(*args, **kwargs)
            caller = sys._getframe(1)
            accesses: list[Access] = []
            try:
                with _access.calling():
                    result = original(*args, **kwargs)
                    try:
                        accesses = describe(args, kwargs, result, caller, via)
                    except Exception as exc:
                        log.debug("capture:%s failed", via, exc_info=True)
                        capture.fail(f"capture:{via}", exc)
            finally:
                del caller
            capture.extend(accesses)
            return result

        setattr(wrapper, ORIGINAL_ATTR, original)
        return wrapper

    return factory


def _file_access(direction: str, target: Any, obj: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    location = location_for_path(target)
    if location is None:
        return []
    facets: dict[str, Any] = file_facets(location)
    fields = None
    if is_model(obj):
        name = _named(obj, frame) if direction == "output" else None
        if name is None and direction == "input" and frame is not None and user_frame(frame):
            name = _assigned(frame)
        facets.update(model_facets(obj, extra=[_tag("model", name)] if name else None))
        fields = _features(obj, None)
    return [Access(direction, location, via, fields=fields, facets=facets)]


def _describe_dump(args: tuple, kwargs: dict, result: Any, frame: Any, via: str) -> list[Access]:
    return _file_access("output", argument(args, kwargs, 1, "filename"), argument(args, kwargs, 0, "value"),
                        frame, via)


def _describe_load(args: tuple, kwargs: dict, result: Any, frame: Any, via: str) -> list[Access]:
    return _file_access("input", argument(args, kwargs, 0, "filename"), result, frame, via)


def patches() -> list[Patch]:
    """Estimators' fit methods; joblib's dump and load."""
    out = [
        Patch("sklearn.base:BaseEstimator.__init_subclass__", wrapper=_init_subclass_hook),
        _LIFECYCLE.patch(),
    ]
    if "joblib" in sys.modules:
        out += [
            Patch("joblib:dump", wrapper=_framed(_describe_dump, "joblib.dump"), via="joblib.dump"),
            Patch("joblib:load", wrapper=_framed(_describe_load, "joblib.load"), via="joblib.load"),
        ]
    return out
