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
  by the ``open()`` safety net as a file output, and :func:`pickled_models` reads the
  cell's code after it ran to give that file the model's facets and ``model`` tag.

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

The output's ``obj`` is a :class:`ModelOutput`: the model plus a :class:`TrainingData`
(features, the label column and its type, the rows, and which of the caller's frames each
feature and the label came from) and the MLflow run active during the fit, if any. The
notebook face turns it into the ``nbgov_model`` facet and the ``columnLineage`` edges from
the training columns to the model (:mod:`nbgov.magics.policy`). The frames are found
from the call, never guessed from the data: the argument itself when a variable holds it
(``fit(X_train, y_train)``), else the frame variables the argument's expression names
(``fit(train[features], train["churned"])`` → ``train``); a column counts as coming from
such a frame when the frame has a column of that name at fit time.

A fitted model's training data is read by the cell, so the frames it came from are the
cell's inputs (the namespace tracker records them): the lineage is
*training data → cell → model*. Fits that MLflow's autologging wraps are recorded like
any other: MLflow's frames are looked through when deciding who called ``fit``.

``joblib.dump(model, path)`` records the file as an output, ``joblib.load(path)`` as an
input (``version`` from the file's size and mtime); when the object is a model, the
file carries the same ``datasetType`` and ``tags`` facets plus a ``model`` tag naming
the model variable — the link between the model and its file. A saved model's ``obj``
is a :class:`ModelOutput` without training data (for the MLflow run active at the save).
Helpers shared with the XGBoost and LightGBM adapters: :func:`training_data`,
:func:`describe_training`, :func:`model_file`, :func:`framed`.
"""

from __future__ import annotations

import ast
import functools
import linecache
import logging
import sys
import threading
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location
from nbgov.capture.adapters.builtins_open import Lifecycle, user_frame
from nbgov.capture.hooks import ORIGINAL_ATTR, Patch, argument, file_facets, location_for_path

if TYPE_CHECKING:
    from nbgov.capture.adapters.mlflow import MlflowRun

__all__ = [
    "FIT_METHODS",
    "MODULE",
    "PICKLERS",
    "ModelOutput",
    "NativeData",
    "TrainingData",
    "call_at",
    "caller_frame",
    "describe_training",
    "framed",
    "framed_patch",
    "library_caller",
    "mlflow_run",
    "model_facets",
    "model_file",
    "patches",
    "pickled_models",
    "register_estimator",
    "saved_file",
    "training_data",
]

MODULE = "sklearn"

log = logging.getLogger(__name__)

#: the methods that fit a model
FIT_METHODS = ("fit", "fit_transform", "fit_predict", "partial_fit")
#: top-level packages whose fit calls are internal (clones, cross-validation, ensembles)
LIBRARY_CALLERS = frozenset({
    "sklearn", "joblib", "nbgov", "imblearn", "xgboost", "lightgbm", "catboost", "optuna", "skopt",
    "sktime", "category_encoders", "threadpoolctl", "concurrent", "multiprocessing", "threading",
})
#: packages whose frames wrap the user's own call (MLflow's autologging patches ``fit``):
#: looked through to find who called
TRANSPARENT_CALLERS = frozenset({"mlflow", "gorilla"})
_TAG_VALUE_MAX = 200
#: above this many distinct label values no class balance is recorded
MAX_CLASSES = 50
_MAX_ARRAY_FIELDS = 1000

_lock = threading.RLock()
_hooked: dict[tuple[type, str], Any] = {}  # (class, method) → the function it defined
_registered: list[type] = []


# -------------------------------------------------------------------- describing
def _text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _TAG_VALUE_MAX else text[: _TAG_VALUE_MAX - 1] + "…"


def _class_name(obj: Any) -> str:
    """``sklearn.LogisticRegression``, ``xgboost.XGBClassifier``: the top-level package when it
    exports the class (always for scikit-learn's private modules), else the full module."""
    cls = type(obj)
    module = cls.__module__ or ""
    top = module.split(".", 1)[0]
    exported = getattr(sys.modules.get(top), cls.__qualname__, None) is cls
    public = top if module.startswith("sklearn.") or exported else module
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


@dataclass(frozen=True)
class TrainingData:
    """What one training call was given, as far as the call shows it.

    Attributes:
        features: the feature columns as ``(name, type)`` pairs (see ``fields`` above).
        label: the label column as ``(name, type)``, when ``y`` is named (a Series, a
            one-column frame), else None.
        rows: the rows the fit saw, when known.
        sources: per feature and label column name, the caller's frame variables it came
            from (``(("age", ("train",)), ("churned", ("train",)))``); a column no frame
            of the call holds is absent.
        frames: every frame variable the call's data came from, in order.
        classes: the label's class balance ``(value, rows)`` sorted by value, for a
            classifier with at most :data:`MAX_CLASSES` classes, else None.
        date_ranges: ``(frame variable, column, min, max)`` (ISO text) of each date or
            timestamp column of the frames the data came from: the training window.
    """

    features: tuple[tuple[str, str], ...] | None = None
    label: tuple[str, str] | None = None
    rows: int | None = None
    sources: tuple[tuple[str, tuple[str, ...]], ...] = ()
    frames: tuple[str, ...] = ()
    classes: tuple[tuple[str, int], ...] | None = None
    date_ranges: tuple[tuple[str, str, str, str], ...] = ()

    def sources_of(self, column: str) -> tuple[str, ...]:
        """The frame variables ``column`` came from (empty: unknown)."""
        return next((frames for name, frames in self.sources if name == column), ())


@dataclass(frozen=True, eq=False)
class ModelOutput:
    """The ``obj`` of a model output: the model and how it was made.

    Attributes:
        model: the fitted estimator (or booster).
        training: what the fit was given (None for a model written to a file).
        mlflow: the :class:`~nbgov.capture.adapters.mlflow.MlflowRun` active during the
            call, or None.
    """

    model: Any
    training: TrainingData | None = None
    mlflow: MlflowRun | None = None


def _is_frame(obj: Any) -> bool:
    from nbgov.capture.profile import frame_kind

    return frame_kind(obj) is not None


def _lookup(frame: types.FrameType, name: str) -> Any:
    """What ``name`` is bound to at ``frame`` (locals, then globals), or None."""
    if name in frame.f_locals:
        return frame.f_locals[name]
    return frame.f_globals.get(name)


def call_at(frame: types.FrameType, names: frozenset[str]) -> ast.Call | None:
    """The innermost call of a function or method in ``names`` spanning ``frame``'s line."""
    lines = linecache.getlines(frame.f_code.co_filename, frame.f_globals)
    tree = _parse("".join(lines)) if lines else None
    if tree is None:
        return None
    line, best = frame.f_lineno, None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.lineno <= line <= (node.end_lineno or node.lineno):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if called in names:
            span = (node.end_lineno or node.lineno) - node.lineno
            if best is None or span <= best[0]:
                best = (span, node)
    return best[1] if best else None


def _argument_node(call: ast.Call | None, index: int, keywords: tuple[str, ...]) -> ast.expr | None:
    if call is None:
        return None
    for kw in call.keywords:
        if kw.arg in keywords:
            return kw.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _frames_in(data: Any, node: ast.expr | None, frame: types.FrameType | None) -> tuple[str, ...]:
    """The caller's frame variables ``data`` came from: the variable holding it, else the
    frame variables its argument expression names."""
    if frame is None or data is None:
        return ()
    name = _named(data, frame)
    if name is not None:
        return (name,) if _is_frame(data) else ()
    if node is None:
        return ()
    names = sorted((sub.lineno, sub.col_offset, sub.id) for sub in ast.walk(node)
                   if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and not sub.id.startswith("_"))
    return tuple(dict.fromkeys(name for *_, name in names if _is_frame(_lookup(frame, name))))


def _columns_of(obj: Any) -> tuple[str, ...]:
    """A frame's column names, in order (pandas, polars; pyarrow's ``column_names``)."""
    columns = getattr(obj, "columns", None)
    if columns is None:
        names = getattr(obj, "column_names", None)  # pyarrow
        columns = names if names is not None else ()
    try:
        return tuple(str(c) for c in columns)
    except TypeError:
        return ()


def _label(y: Any) -> tuple[str, str] | None:
    name = getattr(y, "name", None)
    if isinstance(name, str) and not _is_frame(y):
        return name, str(getattr(y, "dtype", "unknown"))
    if _is_frame(y):
        columns = list(_columns_of(y))
        if len(columns) == 1:
            fields = _features(None, y) or ((str(columns[0]), "unknown"),)
            return fields[0]
    return None


def _is_classifier(model: Any) -> bool:
    base = sys.modules.get("sklearn.base")
    if base is not None and model is not None:
        try:
            return bool(base.is_classifier(model))
        except Exception:  # noqa: BLE001 - an estimator breaking the API: not known to classify
            return False
    return getattr(model, "_estimator_type", None) == "classifier"


def class_counts(y: Any, *, discrete_only: bool = False) -> tuple[tuple[str, int], ...] | None:
    """``(value, rows)`` per distinct value of ``y`` (a Series, a one-column frame, a 1-d
    array or a list), sorted by value; None above :data:`MAX_CLASSES` values, for anything
    else, or — with ``discrete_only`` — for float labels (a regression target)."""
    if _is_frame(y):
        if len(_columns_of(y)) != 1:
            return None
        y = y[next(iter(y.columns))]
    dtype = getattr(y, "dtype", None)
    if discrete_only and dtype is not None and getattr(dtype, "kind", "O") in "fc":
        return None
    module = type(y).__module__ or ""
    if module.startswith("pandas") and getattr(y, "ndim", None) == 1:
        pairs = list(y.value_counts(dropna=False).items())
    elif module.startswith("polars") and callable(getattr(y, "value_counts", None)):
        pairs = list(y.value_counts().iter_rows())
    elif getattr(y, "ndim", None) == 1 and hasattr(y, "tolist"):
        pairs = _counted(y.tolist())
    elif isinstance(y, (list, tuple)):
        pairs = _counted(list(y))
    else:
        return None
    if not pairs or len(pairs) > MAX_CLASSES:
        return None
    return tuple(sorted(((str(k), int(v)) for k, v in pairs), key=lambda kv: kv[0]))


_DATE_TYPES = ("datetime", "date", "timestamp")
_MISSING = frozenset({"NaT", "nan", "None"})


def date_ranges(obj: Any) -> tuple[tuple[str, str, str], ...]:
    """``(column, min, max)`` (ISO text) of the date / timestamp columns of a pandas or polars
    frame; columns that are empty or cannot say are left out."""
    out = []
    for name, typ in _features(None, obj) or ():
        if not typ.lower().startswith(_DATE_TYPES):
            continue
        try:
            col = obj[name]
            lo, hi = col.min(), col.max()
        except Exception:  # noqa: BLE001, S112 - a column that cannot say (pyarrow, mixed): left out
            continue
        if lo is None or hi is None or str(lo) in _MISSING or str(hi) in _MISSING:  # empty / all missing
            continue
        out.append((name, *(v.isoformat() if callable(getattr(v, "isoformat", None)) else str(v) for v in (lo, hi))))
    return tuple(out)


def _counted(values: list[Any]) -> list[tuple[Any, int]]:
    from collections import Counter

    try:
        return list(Counter(values).items())
    except TypeError:  # unhashable rows: not a label vector
        return []


def training_data(
    model: Any,
    X: Any,
    y: Any,
    frame: types.FrameType | None,
    call: ast.Call | None = None,
    *,
    x_arg: tuple[int, tuple[str, ...]] = (0, ("X",)),
    y_arg: tuple[int, tuple[str, ...]] = (1, ("y",)),
    features: tuple[tuple[str, str], ...] | None = None,
    label: tuple[str, str] | None = None,
    rows: int | None = None,
    classify: bool | None = None,
) -> TrainingData:
    """Describe the data of one training call made at ``frame`` (see :class:`TrainingData`).

    Args:
        model: the estimator (for ``feature_names_in_``), or None.
        X, y: the feature data and the label data (either may be None).
        frame: the caller's frame.
        call: the call's AST node (finds the frames an expression argument names).
        x_arg, y_arg: where ``X`` and ``y`` sit in the call: position and keywords.
        features, label, rows: known values that take precedence (a DMatrix's names).
        classify: whether ``y`` holds classes (None: ask ``model``; without a model, any
            label that is not float).
    """
    x_frames = _frames_in(X, _argument_node(call, *x_arg), frame)
    y_frames = _frames_in(y, _argument_node(call, *y_arg), frame) if y is not None else ()
    fields = features if features is not None else _features(model, X)
    lab = label if label is not None else (_label(y) if y is not None else None)
    if rows is None:
        shape = getattr(X, "shape", None)
        rows = shape[0] if shape else (len(X) if isinstance(X, (list, tuple)) else None)
    columns = {v: _columns_of(_lookup(frame, v)) for v in (*x_frames, *y_frames)} if frame is not None else {}
    sources = []
    for name, _ in fields or ():
        held = tuple(v for v in x_frames if name in columns.get(v, ()))
        if held:
            sources.append((name, held))
    if lab is not None:
        held = tuple(v for v in y_frames if lab[0] in columns.get(v, ()))
        if held and not any(n == lab[0] for n, _ in sources):
            sources.append((lab[0], held))
    classes = None
    if y is not None and (classify or (classify is None and (model is None or _is_classifier(model)))):
        classes = class_counts(y, discrete_only=classify is None and model is None)
    frames = tuple(dict.fromkeys((*x_frames, *y_frames)))
    ranges = tuple((var, *r) for var in frames for r in date_ranges(_lookup(frame, var))) if frame is not None else ()
    return TrainingData(features=fields, label=lab, rows=rows if isinstance(rows, int) else None,
                        sources=tuple(sources), frames=frames, classes=classes, date_ranges=ranges)


def mlflow_run() -> MlflowRun | None:
    """The MLflow run active now (None: none, or MLflow not imported)."""
    from nbgov.capture.adapters import mlflow as _mlflow

    return _mlflow.active_run()


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
    call = call_at(frame, frozenset({method})) if frame is not None and user_frame(frame) else None
    training = training_data(model, X, y, frame, call, x_arg=(0, ("X", "raw_documents")))
    if training.rows is not None:
        extra.append(_tag("training.rows", training.rows))
    if training.label is not None:
        extra.append(_tag("training.target", training.label[0]))
    location = Location.of("model", name=model_name(model, frame, returns_model=method in ("fit", "partial_fit")))
    return [Access("output", location, via, fields=training.features, facets=model_facets(model, extra=extra),
                   obj=ModelOutput(model, training, mlflow_run()))]


def describe_training(
    model: Any,
    training: TrainingData,
    frame: types.FrameType | None,
    via: str,
    *,
    params: dict[str, Any],
    frames: dict[str, Any] | None = None,
) -> list[Access]:
    """The model output of a native training function (``xgboost.train``, ``lightgbm.train``)
    and, as inputs, the frames its data was built from (a ``DMatrix`` / ``Dataset`` made in
    an earlier cell reads them there; the training cell reads them through it).

    Args:
        model: the trained booster.
        training: what the training data held (see :func:`training_data`).
        frame: the caller's frame (names the model by the assignment's target).
        via: the call, e.g. ``xgboost.train``.
        params: the hyperparameters (``param.<name>`` tags).
        frames: variable → the frame object the data was built from, when still alive
            (profiled for its version when the variable still holds it).
    """
    cls = type(model)
    tags = [_tag("estimator", f"{cls.__module__}.{cls.__qualname__}"), _tag("method", via.rsplit(".", 1)[-1])]
    tags += [_tag(f"param.{k}", v) for k, v in sorted(params.items(), key=lambda kv: str(kv[0]))]
    if training.rows is not None:
        tags.append(_tag("training.rows", training.rows))
    if training.label is not None:
        tags.append(_tag("training.target", training.label[0]))
    facets = {"datasetType": {"datasetType": "MODEL", "subType": _class_name(model)}, "tags": {"tags": tags}}
    location = Location.of("model", name=model_name(model, frame))
    out = [Access("output", location, via, fields=training.features, facets=facets,
                  obj=ModelOutput(model, training, mlflow_run()))]
    for var in training.frames:
        obj = (frames or {}).get(var)
        current = _lookup(frame, var) if frame is not None else None
        out.append(Access("input", Location.of("dataframe", name=var), via,
                          obj=obj if obj is not None and obj is current else None))
    return out


# ------------------------------------------------------------------- fit wrappers
def _package(frame: types.FrameType) -> str:
    return (frame.f_globals.get("__name__") or "").split(".", 1)[0]


def caller_frame(depth: int = 2) -> types.FrameType | None:
    """The frame ``depth`` levels up, looking through :data:`TRANSPARENT_CALLERS`' frames."""
    try:
        frame: types.FrameType | None = sys._getframe(depth)
    except ValueError:
        return None
    while frame is not None and _package(frame) in TRANSPARENT_CALLERS:
        frame = frame.f_back
    return frame


def library_caller(frame: types.FrameType | None, model: Any) -> bool:
    if frame is None:
        return True
    package = _package(frame)
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
        caller = caller_frame(2)
        if library_caller(caller, self):
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
def framed(describe: Callable[..., list[Access]], via: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A wrapper factory like :func:`nbgov.capture.hooks.wrap` whose ``describe`` also
    gets the caller's frame: ``describe(args, kwargs, result, frame, via)``."""

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


def framed_patch(target: str, describe: Callable[..., list[Access]], via: str) -> Patch:
    """The :class:`Patch` of ``target`` wrapped by :func:`framed` with ``describe``, named ``via``."""
    return Patch(target, wrapper=framed(describe, via), via=via)


def _holder(model: Any, frame: types.FrameType | None) -> str | None:
    """A variable of ``frame`` holding ``model``, or holding an estimator whose booster it is
    (``clf.booster_.save_model(…)`` — LightGBM — or ``clf.get_booster()`` — XGBoost)."""
    name = _named(model, frame)
    if name is not None or frame is None:
        return name
    for namespace in (frame.f_locals, frame.f_globals):
        for key, value in list(namespace.items()):
            if key.startswith("_") or isinstance(value, type):
                continue
            boosters = (value.__dict__.get("_Booster"), value.__dict__.get("_Booster__booster"),
                        value.__dict__.get("_Booster_")) if hasattr(value, "__dict__") else ()
            if any(b is model for b in boosters if b is not None):
                return key
    return None


def model_file(direction: str, target: Any, model: Any, frame: types.FrameType | None, via: str,
               *, facets: dict[str, Any] | None = None) -> list[Access]:
    """The file a model is saved to (``output``) or loaded from (``input``): the file's facets
    plus the model's ``datasetType`` and ``tags`` (``facets``, default :func:`model_facets`)
    with a ``model`` tag naming the variable that holds it — the link between model and file.
    A saved model's ``obj`` is a :class:`ModelOutput` (for the MLflow run active at the save)."""
    location = location_for_path(target)
    if location is None:
        return []
    name = _holder(model, frame) if direction == "output" else None
    if name is None and direction == "input" and frame is not None and user_frame(frame):
        name = _assigned(frame)
    found: dict[str, Any] = file_facets(location)
    found.update(facets if facets is not None else model_facets(model))
    if name:
        tags = found.get("tags") or {"tags": []}
        found["tags"] = {"tags": [*tags.get("tags", []), _tag("model", name)]}
    record = ModelOutput(model, None, mlflow_run()) if direction == "output" else None
    saved = Access(direction, location, via, fields=_features(model, None), facets=found, obj=record)
    if direction == "output" and name:  # the model the save read: model -> cell -> file in the graph
        return [Access("input", Location.of("model", name=name), via), saved]
    return [saved]


def saved_file(direction: str, target: Any, obj: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    """A file a serialiser wrote (``output``) or read (``input``): a model's file
    (:func:`model_file`) when ``obj`` is a model, else a plain file access."""
    if is_model(obj):
        return model_file(direction, target, obj, frame, via)
    location = location_for_path(target)
    if location is None:
        return []
    return [Access(direction, location, via, facets=file_facets(location))]


def _describe_dump(args: tuple, kwargs: dict, result: Any, frame: Any, via: str) -> list[Access]:
    return saved_file("output", argument(args, kwargs, 1, "filename"), argument(args, kwargs, 0, "value"),
                        frame, via)


def _describe_load(args: tuple, kwargs: dict, result: Any, frame: Any, via: str) -> list[Access]:
    return saved_file("input", argument(args, kwargs, 0, "filename"), result, frame, via)


#: modules whose ``dump(obj, file)`` pickles: not hooked (C functions, see the module docs);
#: a cell's code is read after it ran instead
PICKLERS = frozenset({"pickle", "cPickle", "_pickle", "dill", "cloudpickle"})


def pickled_models(code: str, namespace: Any, recorded: Any) -> list[Access]:
    """Models a cell's code pickled into a file it opened, read from the code after the cell.

    ``with open("m.pkl", "wb") as f: pickle.dump(clf, f)`` and ``pickle.dump(clf,
    open(path, "wb"))`` (also ``dill``/``cloudpickle``, ``from pickle import dump``): when
    ``clf`` is a model in *namespace* and the ``open()`` safety net *recorded* the file as
    an output, that file gets the model's facets and ``model`` tag, and the model is read —
    what :func:`model_file` gives a joblib save, without wrapping pickle's C functions
    (their tracebacks stay nbgov-free). Paths must be literal strings or variables.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    outputs = {a.location: a for a in recorded if a.direction == "output" and a.location.kind == "file"}
    if not outputs:
        return []
    opened: dict[str, Any] = {}  # `with open(PATH) as NAME` / `NAME = open(PATH)`
    dumpers = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and (node.module or "").split(".")[0] in PICKLERS for alias in node.names if alias.name == "dump"}

    def path_of(node: ast.AST) -> Any:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open" and node.args:
            target = node.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                return target.value
            if isinstance(target, ast.Name):
                return namespace.get(target.id)
        if isinstance(node, ast.Name):
            return opened.get(node.id)
        return None

    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and path_of(item.context_expr) is not None:
                    opened[item.optional_vars.id] = path_of(item.context_expr)
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and path_of(node.value) is not None):
            opened[node.targets[0].id] = path_of(node.value)
    out: list[Access] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[0], ast.Name)):
            continue
        func = node.func
        pickler = (isinstance(func, ast.Attribute) and func.attr == "dump" and isinstance(func.value, ast.Name)
                   and func.value.id in PICKLERS) or (isinstance(func, ast.Name) and func.id in dumpers)
        if not pickler:
            continue
        name, model, path = node.args[0].id, namespace.get(node.args[0].id), path_of(node.args[1])
        location = location_for_path(path) if path is not None else None
        if not is_model(model) or location not in outputs:
            continue
        found = dict(outputs[location].facets)
        found.update(model_facets(model, extra=[_tag("model", name)]))
        out.append(Access("input", Location.of("model", name=name), "pickle.dump"))
        out.append(Access("output", location, "pickle.dump", fields=_features(model, None), facets=found,
                          obj=ModelOutput(model, None, mlflow_run())))
    return out


class NativeData:
    """What the native training-data objects of a boosting library (XGBoost's ``DMatrix``,
    LightGBM's ``Dataset``) were built from, kept weakly per object, and the record of a
    native ``train(params, data, num_boost_round)`` call on one of them."""

    def __init__(self) -> None:
        self._built: weakref.WeakKeyDictionary[Any, tuple[TrainingData, dict[str, Any]]] = (
            weakref.WeakKeyDictionary())

    def remember(self, data: Any, training: TrainingData, frame: types.FrameType) -> None:
        """*data* was built in *frame* from what *training* says (its frames weakly referenced,
        to be profiled at train time if still bound)."""
        refs = {}
        for var in training.frames:
            try:
                refs[var] = weakref.ref(frame.f_locals.get(var, frame.f_globals.get(var)))
            except TypeError:
                continue
        self._built[data] = (training, refs)

    def describe_built(self, args: tuple, kwargs: dict, frame: types.FrameType | None,
                       constructors: frozenset[str], **known: Any) -> list[Access]:
        """``Constructor(data, label, …)`` (``args[0]`` the object being built) called by user
        code: remember what it is built from; *known* ``features``/``rows`` the object itself
        says. Nothing is recorded for the construction itself."""
        if frame is None or not user_frame(frame):
            return []
        data, label = argument(args, kwargs, 1, "data"), argument(args, kwargs, 2, "label")
        call = call_at(frame, constructors)
        training = training_data(None, data, label, frame, call, x_arg=(0, ("data",)), y_arg=(1, ("label",)),
                                 **known)
        self.remember(args[0], training, frame)
        return []

    def describe_train(self, args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str,
                       *, data_arg: str, default_rounds: int,
                       fallback: Callable[[Any, Any], TrainingData]) -> list[Access]:
        """The booster *result* of ``train(params, data, num_boost_round)`` as a model output:
        ``params`` (and the rounds) as hyperparameters, the data's frames as inputs; *fallback*
        ``(data, booster) -> TrainingData`` for data nbgov did not see being built."""
        if library_caller(frame, result):
            return []
        params = dict(argument(args, kwargs, 0, "params") or {})
        params["num_boost_round"] = argument(args, kwargs, 2, "num_boost_round", default_rounds)
        data = argument(args, kwargs, 1, data_arg)
        known = self._built.get(data) if data is not None else None
        if known is not None:
            training, refs = known
            alive = {var: ref() for var, ref in refs.items()}
        else:
            training, alive = fallback(data, result), {}
        return describe_training(result, training, frame, via, params=params, frames=alive)


def patches() -> list[Patch]:
    """Estimators' fit methods; joblib's dump and load."""
    out = [
        Patch("sklearn.base:BaseEstimator.__init_subclass__", wrapper=_init_subclass_hook),
        _LIFECYCLE.patch(),
    ]
    if "joblib" in sys.modules:
        out += [
            framed_patch("joblib:dump", _describe_dump, "joblib.dump"),
            framed_patch("joblib:load", _describe_load, "joblib.load"),
        ]
    return out
