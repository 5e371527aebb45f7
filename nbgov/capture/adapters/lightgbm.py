"""LightGBM's native API: ``Dataset``, ``lightgbm.train`` and the boosters' saved files.

Hooked once LightGBM is imported (``MODULE = "lightgbm"``). The scikit-learn API classes
(``LGBMClassifier``, ``LGBMRegressor``, ``LGBMRanker``) derive from scikit-learn's
``BaseEstimator`` and are recorded by :mod:`nbgov.capture.adapters.models` like any
estimator (their ``fit`` calls ``lightgbm.train`` inside, which is not recorded twice);
this module adds what that cannot see:

- ``Dataset(data, label=…)`` made by user code: remembers (weakly, per Dataset) what it
  was built from — feature columns and types, the label column, the rows and which frame
  variables they came from (:func:`~nbgov.capture.adapters.models.training_data`). The
  Dataset itself is not recorded.
- ``lightgbm.train(params, train_set, num_boost_round)`` called by user code: the booster
  is a model output (named by the assignment's target, ``bst = lgb.train(…)``) with
  ``param.<name>`` tags for ``params`` and ``num_boost_round``, the features as its
  schema, and the frames the Dataset was built from as the cell's inputs. A Dataset nbgov
  did not see being made still gives the booster's feature names and the row count.
- ``Booster.save_model(path)`` → the file is an output with the model's facets and a
  ``model`` tag naming the variable holding the booster (or the estimator whose
  ``booster_`` it is); ``Booster(model_file=path)`` → the file is an input.
"""

from __future__ import annotations

import types
from typing import Any

from nbgov.capture.access import Access
from nbgov.capture.adapters import models
from nbgov.capture.hooks import Patch, argument

__all__ = ["MODULE", "patches"]

MODULE = "lightgbm"

_native = models.NativeData()


def _describe_dataset(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    return _native.describe_built(args, kwargs, frame, frozenset({"Dataset"}))


def _describe_train(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    return _native.describe_train(args, kwargs, result, frame, via, data_arg="train_set", default_rounds=100,
                                  fallback=_unseen)


def _unseen(train_set: Any, booster: Any) -> models.TrainingData:
    """What a booster and a Dataset nbgov did not see being made can still say."""
    names = booster.feature_name() if callable(getattr(booster, "feature_name", None)) else None
    try:
        rows = int(train_set.num_data())
    except Exception:  # noqa: BLE001 - a Dataset that cannot say: unknown
        rows = None
    return models.TrainingData(features=tuple((str(n), "unknown") for n in names) if names else None, rows=rows)


def _describe_save(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    return models.model_file("output", argument(args, kwargs, 1, "filename"), args[0], frame, via)


def _describe_init(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    path = argument(args, kwargs, 3, "model_file")
    if path is None:
        return []
    return models.model_file("input", path, args[0], frame, via)


def patches() -> list[Patch]:
    """Dataset construction, ``train``, and boosters' save and load."""
    return [
        models.framed_patch("lightgbm:Dataset.__init__", _describe_dataset, "lightgbm.Dataset"),
        models.framed_patch("lightgbm:train", _describe_train, "lightgbm.train"),
        models.framed_patch("lightgbm:Booster.save_model", _describe_save, "lightgbm.Booster.save_model"),
        models.framed_patch("lightgbm:Booster.__init__", _describe_init, "lightgbm.Booster"),
    ]
