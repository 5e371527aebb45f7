"""Evaluation metrics a cell computes with ``sklearn.metrics`` on a model's predictions.

Hooked once ``sklearn.metrics`` is imported (``MODULE = "sklearn.metrics"``): the scoring
functions in :data:`METRICS` as attributes of ``sklearn.metrics`` (what ``from
sklearn.metrics import accuracy_score`` binds; scikit-learn's own internal calls, which
import from the private modules, are untouched). A call made by user code while a cell is
captured records a :class:`Metric` when its predictions come from a model the cell can
name — read from the statement's source, never from the data:

- ``accuracy_score(y_test, model.predict(X_test))`` — the prediction argument is a call
  of ``predict`` / ``predict_proba`` / ``decision_function`` / ``predict_log_proba`` on
  a variable;
- ``accuracy_score(y_test, pred)`` where the cell assigned ``pred = model.predict(…)``
  (``[:, 1]`` and similar subscripts allowed).

Metrics are not lineage (no :class:`~nbgov.capture.access.Access`): they wait in
:func:`drain` until the notebook face stores them on the model's dataset (the
``nbgov_model`` facet). The metric's name drops the ``_score`` suffix (``accuracy``,
``f1``, ``roc_auc``, ``mean_squared_error``). Only plain numbers are kept (``average=None``
arrays are not).
"""

from __future__ import annotations

import ast
import functools
import linecache
import logging
import math
import numbers
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nbgov.capture import access as _access
from nbgov.capture.adapters.builtins_open import user_frame
from nbgov.capture.hooks import ORIGINAL_ATTR, Patch

__all__ = ["METRICS", "MODULE", "Metric", "drain", "patches"]

MODULE = "sklearn.metrics"

log = logging.getLogger(__name__)

#: the scoring functions hooked
METRICS = (
    "accuracy_score", "balanced_accuracy_score", "f1_score", "precision_score", "recall_score",
    "roc_auc_score", "average_precision_score", "log_loss", "matthews_corrcoef", "r2_score",
    "mean_squared_error", "mean_absolute_error", "root_mean_squared_error", "mean_absolute_percentage_error",
    "explained_variance_score",
)
PREDICT_METHODS = frozenset({"predict", "predict_proba", "decision_function", "predict_log_proba"})
_PRED_KEYWORDS = ("y_pred", "y_score", "y_prob", "y_proba")


@dataclass(frozen=True)
class Metric:
    """One metric value computed on a model's predictions.

    Attributes:
        variable: the model's variable name in the cell's namespace.
        name: the metric's name (``accuracy``, ``f1`` …).
        value: the value.
        via: the function, e.g. ``sklearn.metrics.accuracy_score``.
        model: the model object (not part of equality).
    """

    variable: str
    name: str
    value: float
    via: str
    model: Any = field(default=None, compare=False, repr=False)


_lock = threading.Lock()
_pending: list[Metric] = []


def drain() -> list[Metric]:
    """The metrics recorded since the last call, oldest first (and forget them)."""
    with _lock:
        out = list(_pending)
        _pending.clear()
        return out


@functools.lru_cache(maxsize=64)
def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _model_var(expr: ast.expr) -> str | None:
    """``model`` for ``model.predict(...)`` (also subscripted: ``model.predict_proba(X)[:, 1]``)."""
    while isinstance(expr, ast.Subscript):
        expr = expr.value
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in PREDICT_METHODS:
        target = expr.func.value
        if isinstance(target, ast.Name):
            return target.id
    return None


def _prediction_model(frame: types.FrameType, function: str) -> str | None:
    """The model variable whose predictions the metric call at ``frame``'s line is given."""
    lines = linecache.getlines(frame.f_code.co_filename, frame.f_globals)
    tree = _parse("".join(lines)) if lines else None
    if tree is None:
        return None
    line = frame.f_lineno
    assigned: dict[str, str] = {}
    found: str | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            var = _model_var(node.value)
            if var is not None and node.lineno <= line:
                assigned[node.targets[0].id] = var
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.lineno <= line <= (node.end_lineno or node.lineno)):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name != function:
            continue
        pred = node.args[1] if len(node.args) > 1 else next(
            (k.value for k in node.keywords if k.arg in _PRED_KEYWORDS), None)
        if pred is None:
            continue
        var = _model_var(pred)
        if var is None and isinstance(pred, ast.Name):
            var = assigned.get(pred.id)
        if var is not None:
            found = var
    return found


def _metric_name(function: str) -> str:
    return function.removesuffix("_score")


def _wrapper(function: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    via = f"sklearn.metrics.{function}"

    def factory(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            capture = _access._active
            if capture is None or _access.nested():
                return original(*args, **kwargs)
            with _access.calling():
                result = original(*args, **kwargs)
            caller = sys._getframe(1)
            try:
                if user_frame(caller) and isinstance(result, numbers.Real) and not isinstance(result, bool) \
                        and math.isfinite(float(result)):
                    var = _prediction_model(caller, function)
                    if var is not None:
                        model = caller.f_locals.get(var, caller.f_globals.get(var))
                        with _lock:
                            _pending.append(Metric(var, _metric_name(function), float(result), via, model))
            except Exception as exc:
                log.debug("capture:%s failed", via, exc_info=True)
                capture.fail(f"capture:{via}", exc)
            finally:
                del caller
            return result

        setattr(wrapper, ORIGINAL_ATTR, original)
        return wrapper

    return factory


def patches() -> list[Patch]:
    """The scoring functions of :data:`METRICS` that this scikit-learn has."""
    metrics = sys.modules["sklearn.metrics"]
    return [Patch(f"sklearn.metrics:{name}", wrapper=_wrapper(name), via=f"sklearn.metrics.{name}")
            for name in METRICS if hasattr(metrics, name)]
