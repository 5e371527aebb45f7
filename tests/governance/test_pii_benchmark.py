"""The generated, labelled benchmark: column-level macro F1 on locales never used for tuning."""

from __future__ import annotations

import pytest

pytest.importorskip("faker")

from tests.governance.pii_corpus import DECOYS, HELDOUT_LOCALES, TUNING_LOCALES, evaluate


def test_locale_sets_are_disjoint():
    assert not set(TUNING_LOCALES) & set(HELDOUT_LOCALES)
    assert len(DECOYS) == 8


def test_heldout_locales_macro_f1_and_no_decoys():
    f1, decoys, details = evaluate(HELDOUT_LOCALES, rows=600, seed=11)
    assert decoys == 0, details
    assert f1 >= 0.95, details


def test_tuning_locales_sanity():
    f1, decoys, details = evaluate(TUNING_LOCALES, rows=300, seed=3)
    assert decoys == 0, details
    assert f1 >= 0.95, details
