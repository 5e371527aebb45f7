"""The PiiReport surface, masking, custom identifiers, errors and properties."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbgov.errors import NbgovError
from nbgov.governance import (
    INFO_TYPES,
    CustomIdentifier,
    Likelihood,
    PiiConfigError,
    PiiReport,
    classify_pii,
    mask_value,
)

TODAY = dt.date(2025, 6, 1)

PII_VALUES = {
    "email": [
        "john.smith@example.com",
        "mary_j@example.org",
        "anna.mueller@beispiel.de",
        "o'brien@example.co.uk",
    ],
    "phone": ["+44 20 7946 0958", "(212) 555-0147", "+49 30 1234567", "01 42 68 53 00"],
    "card": ["4111111111111111", "5500 0000 0000 0004", "378282246310005", "6011000000000004"],
    "ssn": ["536-22-1234", "078-05-1121", "401-12-3456", "219-09-9998"],
    "name": ["John Smith", "Hans Müller", "Jean Dupont", "Giuseppe Rossi"],
    "address": ["221B Baker Street", "Hauptstraße 5", "12 rue de Rivoli", "Via Roma 12"],
    "ip": ["192.168.1.1", "2001:db8::1", "8.8.8.8", "fe80::1ff:fe23:4567:890a"],
    "iban": ["DE89370400440532013000", "GB29NWBK60161331926819", "NL91ABNA0417164300", "BE68539007547034"],
    "dob": ["1985-03-12", "1990-07-01", "1962-11-30", "2001-01-15"],
}


@pytest.fixture
def frame():
    data = dict(PII_VALUES)
    data["qty"] = [1, 2, 3, 4]
    data["country"] = ["DE", "FR", "US", "IT"]
    return pd.DataFrame(data)


def test_report_shape(frame):
    report = classify_pii(frame, today=TODAY)
    assert isinstance(report, PiiReport)
    assert report.columns == tuple(frame.columns)
    assert report.rows == 4
    df = report.to_frame()
    assert list(df.columns) == ["column", "info_type", "likelihood", "match_ratio", "sampled", "example"]
    assert set(zip(df["column"], df["info_type"])) == {
        ("email", "EMAIL_ADDRESS"),
        ("phone", "PHONE_NUMBER"),
        ("card", "CREDIT_CARD_NUMBER"),
        ("ssn", "US_SOCIAL_SECURITY_NUMBER"),
        ("name", "PERSON_NAME"),
        ("address", "STREET_ADDRESS"),
        ("ip", "IP_ADDRESS"),
        ("iban", "IBAN_CODE"),
        ("dob", "DATE_OF_BIRTH"),
    }
    assert (df["sampled"] == 4).all()
    assert (df["match_ratio"] == 1.0).all()
    assert set(df["likelihood"]) <= {"LIKELY", "VERY_LIKELY"}
    assert report.pii_columns == tuple(PII_VALUES)


def test_to_dict_is_json_and_stable(frame):
    a = classify_pii(frame, today=TODAY).to_dict()
    b = classify_pii(frame, today=TODAY).to_dict()
    assert a == b
    text = json.dumps(a)
    assert json.loads(text)["findings"][0]["column"] == "email"
    assert a["min_likelihood"] == "LIKELY"


def test_repr_is_stable_and_has_no_address(frame):
    r1 = repr(classify_pii(frame, today=TODAY))
    r2 = repr(classify_pii(frame, today=TODAY))
    assert r1 == r2
    assert " at 0x" not in r1
    assert r1.startswith("PiiReport(9 findings in 9 of 11 columns")


def test_html_is_escaped_and_self_contained():
    df = pd.DataFrame({"<b>mail</b>": ["john.smith@example.com", "mary@example.org"]})
    page = classify_pii(df)._repr_html_()
    assert "<b>mail</b>" not in page
    assert "&lt;b&gt;mail&lt;/b&gt;" in page
    assert "<script" not in page and "http" not in page


def test_masking_never_leaks_raw_values(frame):
    report = classify_pii(frame, today=TODAY, min_likelihood="VERY_UNLIKELY")
    rendered = [
        json.dumps(report.to_dict(), ensure_ascii=False),
        report.to_frame().to_string(),
        repr(report),
        report._repr_html_(),
    ]
    for values in PII_VALUES.values():
        for raw in values:
            for text in rendered:
                assert raw not in text
    examples = dict(zip(report.to_frame()["column"], report.to_frame()["example"]))
    assert examples["email"] == "a***@b***.de"  # the smallest matching value, masked
    assert examples["card"] == "***********0005"  # 378282246310005


@pytest.mark.parametrize(
    ("info_type", "value", "masked"),
    [
        ("EMAIL_ADDRESS", "jane.doe@example.com", "j***@e***.com"),
        ("CREDIT_CARD_NUMBER", "4111 1111 1111 1234", "**** **** **** 1234"),
        ("US_SOCIAL_SECURITY_NUMBER", "536-22-1234", "***-**-1234"),
        ("IBAN_CODE", "DE89370400440532013000", "DE******************00"),
        ("PHONE_NUMBER", "+44 20 7946 0958", "+** ** **** **58"),
        ("IP_ADDRESS", "192.168.1.1", "192.*.*.*"),
        ("IP_ADDRESS", "2001:db8::1", "2001:****:****:…"),
        ("DATE_OF_BIRTH", "1985-03-12", "****-**-**"),
        ("PERSON_NAME", "Jean Dupont", "J*** D***"),
        ("STREET_ADDRESS", "221B Baker Street", "#B*** B*** S***"),
        ("CUST_ID", "CUST-AB12CD34", "C***-********"),
    ],
)
def test_mask_value(info_type, value, masked):
    assert mask_value(info_type, value) == masked


@given(st.sampled_from(INFO_TYPES + ("CUSTOM",)), st.text(min_size=2, max_size=40))
def test_mask_value_never_returns_the_raw_value(info_type, value):
    masked = mask_value(info_type, value)
    assert isinstance(masked, str)
    if value.strip():
        assert value.strip() not in masked


# ----------------------------------------------------------------- likelihood threshold


def test_min_likelihood_filters_and_parses():
    df = pd.DataFrame({"x": ["john@example.com"] * 4 + ["n/a"] * 6})  # 40% emails: POSSIBLE
    assert len(classify_pii(df)) == 0
    (f,) = classify_pii(df, min_likelihood="possible").findings
    assert (f.info_type, f.likelihood, f.match_ratio) == ("EMAIL_ADDRESS", Likelihood.POSSIBLE, 0.4)
    assert len(classify_pii(df, min_likelihood=Likelihood.POSSIBLE)) == 1
    assert len(classify_pii(df, min_likelihood=3)) == 1


def test_column_name_hint_raises_likelihood():
    values = ["john@example.com"] * 7 + ["n/a"] * 3  # 70%: LIKELY
    plain = classify_pii(pd.DataFrame({"x": values})).findings[0]
    hinted = classify_pii(pd.DataFrame({"email": values})).findings[0]
    assert plain.likelihood == Likelihood.LIKELY
    assert hinted.likelihood == Likelihood.VERY_LIKELY
    assert "column name hint" in hinted.reasons


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_likelihood": "SURE"}, "min_likelihood"),
        ({"sample": 0}, "sample"),
        ({"custom": [{"name": "X", "regex": "("}]}, "custom[0].regex"),
        ({"custom": [{"name": "X"}]}, "custom[0]"),
        ({"custom": [{"name": "1bad", "regex": "a"}]}, "custom[0].name"),
        ({"custom": [{"name": "EMAIL_ADDRESS", "regex": "a"}]}, "custom[0].name"),
        ({"custom": [{"name": "X", "regex": "a", "max_distance": -1}]}, "custom[0].max_distance"),
        ({"custom": [{"name": "X", "regex": "a", "colour": "red"}]}, "custom[0]"),
        ({"custom": [{"name": "X", "regex": "a"}, {"name": "X", "regex": "b"}]}, "custom"),
    ],
)
def test_bad_arguments_raise_typed_errors(kwargs, field):
    with pytest.raises(PiiConfigError) as info:
        classify_pii(pd.DataFrame({"a": ["x"]}), **kwargs)
    assert info.value.field == field
    assert isinstance(info.value, NbgovError)


def test_not_a_frame():
    with pytest.raises(PiiConfigError):
        classify_pii([1, 2, 3])  # type: ignore[arg-type]


# ----------------------------------------------------------------- custom identifiers


CUST = {"name": "CUST_ID", "regex": "CUST-[A-Z0-9]{8}", "keywords": ["customer"], "max_distance": 20}


def test_custom_identifier_keyword_in_column_name():
    df = pd.DataFrame({"customer_ref": ["CUST-AB12CD34", "CUST-ZZ99YY88", "CUST-00000001"]})
    (f,) = classify_pii(df, custom=[CUST]).findings
    assert (f.info_type, f.likelihood, f.match_ratio) == ("CUST_ID", Likelihood.VERY_LIKELY, 1.0)
    assert f.example == "C***-********"


def test_custom_identifier_keyword_distance():
    near = ["customer CUST-AB12CD34 called", "our customer: CUST-ZZ99YY88", "Customer id CUST-00000001 ok"]
    far = [f"customer {'x' * 30} CUST-AB12CD34", f"customer {'y' * 25} CUST-ZZ99YY88"]
    none = ["CUST-AB12CD34 without the word", "CUST-ZZ99YY88 again"]
    assert classify_pii(pd.DataFrame({"notes": near}), custom=[CUST]).info_types("notes") == {"CUST_ID"}
    assert classify_pii(pd.DataFrame({"notes": far}), custom=[CUST]).info_types("notes") == set()
    assert classify_pii(pd.DataFrame({"notes": none}), custom=[CUST]).info_types("notes") == set()
    wide = dict(CUST, max_distance=50)
    assert classify_pii(pd.DataFrame({"notes": far}), custom=[wide]).info_types("notes") == {"CUST_ID"}


def test_custom_identifier_without_keywords_and_with_ignore_words():
    ident = CustomIdentifier("EMP_NO", r"E-\d{5}", ignore_words=("E-00000",))
    df = pd.DataFrame({"a": ["E-12345", "E-54321", "E-99999"], "b": ["E-00000", "E-00000", "x"]})
    report = classify_pii(df, custom=[ident])
    assert report.info_types("a") == {"EMP_NO"}
    assert report.info_types("b") == set()


def test_custom_identifier_with_groups_and_flags():
    ident = {"name": "TICKET", "regex": r"(?i)(tkt)-(\d{4})"}
    df = pd.DataFrame({"t": ["TKT-1234", "tkt-9876", "Tkt-0001"]})
    (f,) = classify_pii(df, custom=ident).findings
    assert f.info_type == "TICKET" and f.match_ratio == 1.0


# ----------------------------------------------------------------- dtypes and edge cases


def test_dtypes_and_edge_cases():
    df = pd.DataFrame(
        {
            "empty": pd.Series([None, None, None], dtype=object),
            "bools": [True, False, True],
            "floats": [1.5, 2.25, np.nan],
            "ints_with_nan": [536221234.0, np.nan, 401123456.0],
            "cat": pd.Categorical(["a", "b", "a"]),
            "mixed": [1, "john@example.com", None],
            "lists": [[1], [2], [3]],
            "td": pd.to_timedelta([1, 2, 3], unit="s"),
        }
    )
    report = classify_pii(df)
    assert report.pii_columns == ()
    assert report.columns == tuple(df.columns)


def test_non_string_column_names_and_empty_frame():
    assert classify_pii(pd.DataFrame()).findings == ()
    df = pd.DataFrame({0: ["john@example.com", "mary@example.org"], 1: [1, 2]})
    assert classify_pii(df).pii_columns == ("0",)


def test_sampling_is_bounded_and_seeded():
    rng = np.random.default_rng(0)
    emails = [f"user{i}@example.com" for i in range(3000)]
    values = np.where(rng.random(3000) < 0.8, emails, "n/a")
    df = pd.DataFrame({"x": values})
    a = classify_pii(df, sample=500).findings[0]
    assert a.sampled == 500
    assert a.match_ratio == classify_pii(df, sample=500).findings[0].match_ratio
    assert 0.7 < a.match_ratio < 0.9


def test_stride_sampling_spreads_over_the_rows_without_hashing(monkeypatch):
    """``sampling="stride"`` takes values evenly spaced over the rows, so a column whose
    first half is addresses and second half is not is seen half and half (the first
    ``sample`` values would all be addresses), and never hashes a value."""
    from nbgov.governance import pii

    values = [f"user{i}@example.com" for i in range(1000)] + [f"code {i}" for i in range(1000)]
    df = pd.DataFrame({"x": values, "y": [None if i % 2 else v for i, v in enumerate(values)]})
    monkeypatch.setattr(pii, "_sample", lambda *a: pytest.fail("hashed a sample"))
    by_column = classify_pii(df, sample=200, sampling="stride", min_likelihood="VERY_UNLIKELY").by_column()
    (x,) = [f for f in by_column["x"] if f.info_type == "EMAIL_ADDRESS"]
    assert x.sampled == 200 and x.match_ratio == 0.5
    (y,) = [f for f in by_column["y"] if f.info_type == "EMAIL_ADDRESS"]  # 1,000 non-null values, nulls skipped
    assert y.sampled == 200 and y.match_ratio == 0.5
    small = classify_pii(df.head(150), sample=200, sampling="stride")  # fewer values than the sample: all of them
    assert [f.sampled for f in small.by_column()["x"]] == [150]


def test_stride_and_hash_sampling_agree_on_an_even_column():
    df = pd.DataFrame({"email": [f"person{i}@example.org" for i in range(5000)], "n": range(5000)})
    by_hash, by_stride = classify_pii(df), classify_pii(df, sampling="stride")
    assert [(f.column, f.info_type, f.likelihood, f.match_ratio, f.sampled) for f in by_hash] == [
        (f.column, f.info_type, f.likelihood, f.match_ratio, f.sampled) for f in by_stride]


def test_unknown_sampling_is_a_config_error():
    with pytest.raises(PiiConfigError) as err:
        classify_pii(pd.DataFrame({"x": ["a"]}), sampling="random")
    assert err.value.field == "sampling" and "'hash', 'stride'" in str(err.value)


# ----------------------------------------------------------------- properties


def _findings(report):
    return {(f.column, f.info_type, f.likelihood, f.match_ratio, f.sampled, f.example) for f in report}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_findings_independent_of_row_and_column_order(rnd):
    data = {k: v * 30 for k, v in PII_VALUES.items()}
    data["notes"] = [
        "call +44 20 7946 0958 now please today or tomorrow",
        "nothing here at all today, sorry",
    ] * 60
    df = pd.DataFrame(data)
    rows = list(range(len(df)))
    cols = list(df.columns)
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    shuffled = df.iloc[rows][cols]
    base = classify_pii(df, sample=50, today=TODAY)
    other = classify_pii(shuffled, sample=50, today=TODAY)
    assert _findings(base) == _findings(other)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans()),
        min_size=0,
        max_size=20,
    )
)
def test_arbitrary_values_never_crash(values):
    report = classify_pii(
        pd.DataFrame({"c": pd.Series(values, dtype=object)}), min_likelihood="VERY_UNLIKELY"
    )
    json.dumps(report.to_dict())
    for raw in values:
        if isinstance(raw, str) and len(raw.strip()) >= 4:
            assert all(raw.strip() not in f.example for f in report)


def test_numbers_too_short_for_any_info_type_are_not_pii_whatever_the_column_name():
    import numpy as np

    small = pd.DataFrame({"phone": np.arange(1000), "ssn": np.arange(1000) * 7, "credit_card": np.zeros(1000)})
    assert classify_pii(small).to_frame().empty
    # the same names with values long enough to validate are still examined
    ssns = pd.DataFrame({"ssn": [123456789 + 1000 * i for i in range(200)]})
    assert set(classify_pii(ssns).to_frame()["info_type"]) == {"US_SOCIAL_SECURITY_NUMBER"}


@pytest.mark.parametrize("dtype", ["object", "str", "string[python]", "string[pyarrow]"])
def test_text_columns_give_the_same_report_whatever_their_string_dtype(frame, dtype):
    # the text validators run on an object copy of the sample, whatever the column's dtype
    text = frame.drop(columns=["qty"])
    base = classify_pii(text.astype(object), today=TODAY).to_dict()
    assert base["findings"]  # the frame has PII of every kind
    assert classify_pii(text.astype(dtype), today=TODAY).to_dict() == base
