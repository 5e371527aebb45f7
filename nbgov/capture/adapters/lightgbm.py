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
import weakref
from typing import Any

from nbgov.capture.access import Access
from nbgov.capture.adapters import models
from nbgov.capture.adapters.builtins_open import user_frame
from nbgov.capture.hooks import Patch, argument

__all__ = ["MODULE", "patches"]

MODULE = "lightgbm"

_built: weakref.WeakKeyDictionary[Any, tuple[models.TrainingData, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _describe_dataset(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    dataset = args[0]
    if frame is None or not user_frame(frame):
        return []
    data, label = argument(args, kwargs, 1, "data"), argument(args, kwargs, 2, "label")
    call = models.call_at(frame, frozenset({"Dataset"}))
    training = models.training_data(None, data, label, frame, call, x_arg=(0, ("data",)), y_arg=(1, ("label",)))
    refs = {}
    for var in training.frames:
        try:
            refs[var] = weakref.ref(frame.f_locals.get(var, frame.f_globals.get(var)))
        except TypeError:
            continue
    _built[dataset] = (training, refs)
    return []


def _describe_train(args: tuple, kwargs: dict, result: Any, frame: types.FrameType | None, via: str) -> list[Access]:
    if models.library_caller(frame, result):
        return []
    params = dict(argument(args, kwargs, 0, "params") or {})
    params["num_boost_round"] = argument(args, kwargs, 2, "num_boost_round", 100)
    train_set = argument(args, kwargs, 1, "train_set")
    known = _built.get(train_set) if train_set is not None else None
    if known is not None:
        training, refs = known
        alive = {var: ref() for var, ref in refs.items()}
    else:
        names = result.feature_name() if callable(getattr(result, "feature_name", None)) else None
        try:
            rows = int(train_set.num_data())
        except Exception:  # noqa: BLE001 - a Dataset that cannot say: unknown
            rows = None
        training = models.TrainingData(features=tuple((str(n), "unknown") for n in names) if names else None,
                                       rows=rows)
        alive = {}
    return models.describe_training(result, training, frame, via, params=params, frames=alive)


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
        Patch("lightgbm:Dataset.__init__", wrapper=models.framed(_describe_dataset, "lightgbm.Dataset"),
              via="lightgbm.Dataset"),
        Patch("lightgbm:train", wrapper=models.framed(_describe_train, "lightgbm.train"), via="lightgbm.train"),
        Patch("lightgbm:Booster.save_model", wrapper=models.framed(_describe_save, "lightgbm.Booster.save_model"),
              via="lightgbm.Booster.save_model"),
        Patch("lightgbm:Booster.__init__", wrapper=models.framed(_describe_init, "lightgbm.Booster"),
              via="lightgbm.Booster"),
    ]
