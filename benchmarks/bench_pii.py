"""PII classification benchmark: nbgov.classify_pii side by side with Presidio.

One labelled 10,000 x 24 frame per held-out locale (see tests/governance/pii_corpus.py:
16 PII columns with plain, opaque and misleading names, 8 decoys). Prints CPU time per
frame (time.process_time), cells per CPU-second, column-level macro F1 and decoys flagged.

    .venv/bin/python benchmarks/bench_pii.py
    .venv/bin/python benchmarks/bench_pii.py --peer-python /path/to/venv-with-presidio/bin/python

Presidio runs in whatever interpreter has it (``--peer-python``), on the first
``--peer-rows`` rows of each frame, one ``analyze`` call per cell; a column gets entity T
when T (score >= 0.4) is found in at least 30% of its cells. Without a spaCy model on this
machine Presidio runs with a blank English pipeline: its regex recognizers work, its NER
(PERSON, LOCATION) does not; DATE_TIME is not counted as DATE_OF_BIRTH.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgov.governance import INFO_TYPES  # noqa: E402
from tests.governance.pii_corpus import (
    DECOYS,
    HELDOUT_LOCALES,
    TODAY,
    TUNING_LOCALES,
    macro_f1,
    make_frame,
    score,
)

PRESIDIO_MAP = {
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD_NUMBER",
    "US_SSN": "US_SOCIAL_SECURITY_NUMBER",
    "PERSON": "PERSON_NAME",
    "LOCATION": "STREET_ADDRESS",
    "IP_ADDRESS": "IP_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
}


def _tally(results):
    totals = {t: {"tp": 0, "fp": 0, "fn": 0} for t in INFO_TYPES}
    decoys = []
    for loc, pred, labels in results:
        for t, c in score(pred, labels, INFO_TYPES).items():
            for k in c:
                totals[t][k] += c[k]
        decoys += [(loc, c, sorted(pred[c])) for c in DECOYS if pred.get(c)]
    return macro_f1(totals), decoys, totals


def run_nbgov(rows: int, locales) -> None:
    from nbgov.governance import classify_pii

    results, times = [], []
    cells = 0
    for i, loc in enumerate(locales):
        frame, labels = make_frame(loc, rows=rows, seed=100 + i)
        classify_pii(frame, today=TODAY)  # warm-up: regex compilation, imports
        t0 = time.process_time()
        report = classify_pii(frame, today=TODAY)
        times.append(time.process_time() - t0)
        cells = frame.size
        results.append((loc, {c: set(report.info_types(c)) for c in frame.columns}, labels))
    f1, decoys, totals = _tally(results)
    med = statistics.median(times)
    print(f"nbgov.classify_pii  frames: {len(locales)} x {rows:,} rows x 24 columns ({', '.join(locales)})")
    print(f"  whole frame CPU-s : median {med:.3f}  (min {min(times):.3f}, max {max(times):.3f})")
    print(f"  cells / CPU-s     : {cells / med:,.0f}")
    print(f"  macro F1 (column) : {f1:.3f}")
    print(f"  decoys flagged    : {len(decoys)}  {decoys if decoys else ''}")
    _per_type(totals)


def _per_type(totals) -> None:
    for t, c in totals.items():
        denom = 2 * c["tp"] + c["fp"] + c["fn"]
        f1 = 2 * c["tp"] / denom if denom else float("nan")
        print(f"    {t:<27} tp={c['tp']:<3} fp={c['fp']:<3} fn={c['fn']:<3} F1={f1:.3f}")


def presidio_available() -> bool:
    try:
        import presidio_analyzer  # noqa: F401
        import spacy  # noqa: F401
    except ImportError:
        return False
    return True


def run_presidio(rows: int, locales) -> None:
    import tempfile

    import spacy
    import tldextract.tldextract as tx
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    tx.TLD_EXTRACTOR = tx.TLDExtract(suffix_list_urls=())  # offline: no public-suffix download
    model = Path(tempfile.mkdtemp()) / "blank_en"
    spacy.blank("en").to_disk(model)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": str(model)}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    engine.analyze("warm up john@example.com", language="en")
    results, any_score, cpu, cells = [], [], 0.0, 0
    for i, loc in enumerate(locales):
        frame, labels = make_frame(loc, rows=rows, seed=100 + i)
        pred, pred_any = {}, {}
        for col in frame.columns:
            values = [str(v) for v in frame[col].tolist()]
            t0 = time.process_time()
            found = [[(r.entity_type, r.score) for r in engine.analyze(v, language="en")] for v in values]
            cpu += time.process_time() - t0
            cells += len(values)
            for out, floor in ((pred, 0.4), (pred_any, 0.0)):
                types = set()
                for ent, ours in PRESIDIO_MAP.items():
                    hits = sum(any(e == ent and s >= floor for e, s in f) for f in found)
                    if hits >= 0.3 * len(values):
                        types.add(ours)
                out[col] = types
        results.append((loc, pred, labels))
        any_score.append((loc, pred_any, labels))
    f1, decoys, totals = _tally(results)
    _, decoys_any, _ = _tally(any_score)
    print(
        f"Presidio {_version('presidio-analyzer')} (blank spaCy 'en', regex recognizers)  "
        f"frames: {len(locales)} x {rows:,} rows x 24 columns"
    )
    print(f"  cells / CPU-s     : {cells / cpu:,.0f}")
    print(f"  10k x 24 frame    : ~{240_000 / (cells / cpu):.1f} CPU-s (extrapolated)")
    print(f"  macro F1 (column) : {f1:.3f}")
    print(f"  decoys flagged    : {len(decoys)}  {decoys if decoys else ''}")
    print(f"  decoys flagged at any score: {len(decoys_any)}  {decoys_any if decoys_any else ''}")
    _per_type(totals)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--peer-rows", type=int, default=200, help="rows per frame given to Presidio")
    ap.add_argument("--peer-python", help="an interpreter where presidio-analyzer is installed")
    ap.add_argument("--peer-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tuning", action="store_true", help="measure on the tuning locales instead")
    args = ap.parse_args()
    locales = TUNING_LOCALES if args.tuning else HELDOUT_LOCALES
    if not args.peer_only:
        run_nbgov(args.rows, locales)
        print()
    if presidio_available():
        run_presidio(args.peer_rows, locales)
    elif args.peer_python and not args.peer_only:
        cmd = [args.peer_python, __file__, "--peer-only", "--peer-rows", str(args.peer_rows)]
        if args.tuning:
            cmd.append("--tuning")
        subprocess.run(cmd, check=False)
    else:
        print("Presidio: not installed")


if __name__ == "__main__":
    main()
