"""XGBoost's native API: ``DMatrix``, ``xgboost.train`` and the boosters' saved files.

Hooked once XGBoost is imported (``MODULE = "xgboost"``). The scikit-learn API classes
(``XGBClassifier``, ``XGBRegressor``, ``XGBRanker`` …) derive from scikit-learn's
``BaseEstimator`` and are recorded by :mod:`nbgov.capture.adapters.models` like any
estimator; this module adds what that cannot see:

- ``DMatrix(data, label=…)`` made by user code: remembers (weakly, per DMatrix) what it
  was built from — the feature columns and their types, the label column, the rows and
  which frame variables they came from (:func:`~nbgov.capture.adapters.models.training_data`).
  Nothing is recorded for the DMatrix itself: it is not a dataset anyone names.
- ``xgboost.train(params, dtrain, num_boost_round)`` called by user code: the booster is
  a model output (named by the assignment's target, ``bst = xgb.train(…)``) with
  ``param.<name>`` tags for ``params`` and ``num_boost_round``, the features as its
  schema, and the frames the DMatrix was built from as the cell's inputs. A DMatrix made
  where nbgov did not see it (another library, before ``%load_ext nbgov``) still gives
  its feature names, types and row count.
- ``Booster.save_model`` / ``XGBModel.save_model`` → the file is an output carrying the
  model's facets and a ``model`` tag naming the variable holding it; ``load_model`` of a
  file → an input. The scikit-learn classes' ``save_model`` calls the booster's, which
  is not recorded twice (only the outermost call is).
"""

from __future__ import annotations

import logging
import sys
import types
from typing import Any

from nbgov.capture.access import Access
from nbgov.capture.adapters import models
from nbgov.capture.hooks import Patch, argument

__all__ = ["MODULE", "patches"]

MODULE = "xgboost"

log = logging.getLogger(__name__)

_native = models.NativeData()


def _describe_dmatrix(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    dmatrix, data = args[0], argument(args, kwargs, 1, "data")
    named = getattr(data, "columns", None) is not None  # a frame: its own column types, else the DMatrix's
    return _native.describe_built(args, kwargs, frame, frozenset({"DMatrix", "QuantileDMatrix"}),
                                  features=None if named else _fields(dmatrix), rows=_rows(dmatrix))


def _fields(dmatrix: Any) -> tuple[tuple[str, str], ...] | None:
    names = getattr(dmatrix, "feature_names", None)
    if not names:
        return None
    kinds = getattr(dmatrix, "feature_types", None) or ["unknown"] * len(names)
    return tuple((str(n), str(t)) for n, t in zip(names, kinds, strict=False))


def _rows(dmatrix: Any) -> int | None:
    try:
        return int(dmatrix.num_row())
    except Exception:  # noqa: BLE001 - a DMatrix that cannot say: unknown
        return None


def _describe_train(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    return _native.describe_train(args, kwargs, result, frame, via, data_arg="dtrain", default_rounds=10,
                                  fallback=lambda dtrain, _: models.TrainingData(features=_fields(dtrain),
                                                                                 rows=_rows(dtrain)))


def _describe_save(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    return models.model_file("output", argument(args, kwargs, 1, "fname"), args[0], frame, via)


def _describe_load(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    return models.model_file("input", argument(args, kwargs, 1, "fname"), args[0], frame, via)


def patches() -> list[Patch]:
    """DMatrix construction, ``train``, and save/load of boosters and estimators."""
    xgboost = sys.modules["xgboost"]
    out = [
        models.framed_patch("xgboost:DMatrix.__init__", _describe_dmatrix, "xgboost.DMatrix"),
        models.framed_patch("xgboost:train", _describe_train, "xgboost.train"),
        models.framed_patch("xgboost:Booster.save_model", _describe_save, "xgboost.Booster.save_model"),
        models.framed_patch("xgboost:Booster.load_model", _describe_load, "xgboost.Booster.load_model"),
    ]
    if hasattr(xgboost, "XGBModel"):
        out += [
            models.framed_patch("xgboost:XGBModel.save_model", _describe_save, "xgboost.XGBModel.save_model"),
            models.framed_patch("xgboost:XGBModel.load_model", _describe_load, "xgboost.XGBModel.load_model"),
        ]
    return out
