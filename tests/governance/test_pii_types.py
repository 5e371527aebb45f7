"""Exact expectations per info type and per decoy: (column name, values, expected info types).

Each case is one column of hand-written values; the expected set is what ``classify_pii``
must report at its default threshold (LIKELY). Values cover several locales.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbgov.governance import classify_pii

TODAY = dt.date(2025, 6, 1)

EMAIL = {"EMAIL_ADDRESS"}
PHONE = {"PHONE_NUMBER"}
CARD = {"CREDIT_CARD_NUMBER"}
SSN = {"US_SOCIAL_SECURITY_NUMBER"}
NAME = {"PERSON_NAME"}
ADDR = {"STREET_ADDRESS"}
IP = {"IP_ADDRESS"}
IBAN = {"IBAN_CODE"}
DOB = {"DATE_OF_BIRTH"}
NONE: set[str] = set()

POSITIVE = [
    # --- emails
    ("email", ["john.smith@example.com", "mary_j@example.org", "o'brien@example.co.uk"], EMAIL),
    ("c1", ["anna.mueller@beispiel.de", "jean.dupont@exemple.fr", "giulia.rossi@esempio.it"], EMAIL),
    (
        "contact",
        ["Jan de Vries <jan@voorbeeld.nl>", "mailto:joao@exemplo.com.br", "ana+tag@ejemplo.es"],
        EMAIL,
    ),
    # --- phones, international and national formats
    ("phone", ["(212) 555-0147", "+1 415 555 2671", "650-253-0000", "1-800-555-0199"], PHONE),
    ("tel", ["+44 20 7946 0958", "020 7946 0018", "07700 900123", "+44(0)121 496 0000"], PHONE),
    ("x9", ["+49 30 1234567", "030 1234567", "0171 1234567", "+49 (0)89 123456"], PHONE),
    ("x9", ["01 42 68 53 00", "+33 6 12 34 56 78", "04 91 12 34 56"], PHONE),
    ("telefono", ["+34 912 345 678", "+34 612 34 56 78", "912345678"], PHONE),
    ("x9", ["+39 06 1234 5678", "06 1234 5678", "+39 347 123 4567"], PHONE),
    ("x9", ["+31 20 123 4567", "06-12345678", "020-1234567"], PHONE),
    ("x9", ["+55 11 91234-5678", "(11) 91234-5678", "(21) 2345-6789"], PHONE),
    ("mobile", ["447700900123", "4915112345678", "33612345678"], PHONE),  # bare digits need the hint
    # --- credit cards: issuer prefix + Luhn, bare or grouped
    ("x2", ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004"], CARD),
    ("x2", ["3530111333300000", "30569309025904", "2223003122003222", "378282246310005"], CARD),
    ("pan", ["4111 1111 1111 1111", "5105-1051-0510-5100", "3782 822463 10005"], CARD),
    # --- US SSN: formatted always, bare only with a column-name hint
    ("x3", ["536-22-1234", "078-05-1121", "219-09-9998", "401 12 3456"], SSN),
    ("ssn", ["536221234", "078051121", "401123456"], SSN),
    ("social_security_number", [536221234, 78051121, 401123456], SSN),
    # --- names in several locales
    ("full_name", ["John Smith", "Mary Johnson", "Robert Brown"], NAME),
    ("x4", ["Mr Oliver Brown", "Charlotte Davies", "Dr Thomas Walker"], NAME),
    ("x4", ["Hans Müller", "Prof. Dr. Klaus Schmidt", "Ursula Becker"], NAME),
    ("x4", ["Jean Dupont", "Marie-Claire Lefèvre", "Philippe Martin"], NAME),
    ("x4", ["José García López", "María Fernández", "Carmen Sánchez"], NAME),
    ("x4", ["Giuseppe Rossi", "Dott. Francesca Bianchi", "Marco Ferrari"], NAME),
    ("x4", ["Jan de Vries", "Sanne van der Berg", "Pieter Bakker"], NAME),
    ("x4", ["João da Silva", "Ana Paula Souza", "Lucas Oliveira"], NAME),
    ("first_name", ["John", "Marie", "Giuseppe", "Anna"], NAME),
    # --- street addresses in several countries' formats
    ("x5", ["1600 Pennsylvania Avenue NW", "350 Fifth Ave", "742 Evergreen Terrace"], ADDR),
    ("x5", ["10 Downing Street", "221B Baker Street", "Flat 2, 14 High Road"], ADDR),
    ("x5", ["Hauptstraße 5", "Friedrichstr. 123", "Kirchweg 3a", "Berliner Allee 12"], ADDR),
    ("x5", ["12 rue de Rivoli", "5, avenue des Champs-Élysées", "8 boulevard Haussmann"], ADDR),
    ("x5", ["Calle de Alcalá 45", "Avenida de la Constitución 3", "Paseo del Prado 8"], ADDR),
    ("x5", ["Via Roma 12", "Piazza Navona 45", "Corso Italia 3"], ADDR),
    ("x5", ["Kerkstraat 12", "Stationsweg 45", "Prinsengracht 263"], ADDR),
    ("x5", ["Rua Augusta, 123", "Avenida Paulista, 1578", "Travessa do Carmo 10"], ADDR),
    ("x5", ["812 Wood Street Apt. 704\nSpringfield, IL 62704", "Sorgatzstr. 6\n88360 Kassel"], ADDR),
    # --- IP addresses
    ("x6", ["192.168.1.1", "8.8.8.8", "10.0.0.254", "172.16.0.1"], IP),
    (
        "x6",
        [
            "2001:db8::1",
            "fe80::1ff:fe23:4567:890a",
            "::ffff:192.0.2.128",
            "2aa3:300b:2b71:1343:220d:672c:15ad:9a9d",
        ],
        IP,
    ),
    # --- IBAN: per-country length + mod-97
    ("x7", ["DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606"], IBAN),
    ("x7", ["ES9121000418450200051332", "IT60X0542811101000000123456", "NL91ABNA0417164300"], IBAN),
    ("x7", ["DE89 3704 0044 0532 0130 00", "BE68 5390 0754 7034", "PT50000201231234567890154"], IBAN),
    ("x7", ["BR9700360305000010009795493P1", "CH9300762011623852957", "AT611904300234573201"], IBAN),
    # --- dates of birth: plausible ages + a name hint
    ("date_of_birth", ["1985-03-12", "1990-07-01", "1962-11-30", "2001-01-15"], DOB),
    ("geburtsdatum", ["12.03.1985", "01.07.1990", "30.11.1962"], DOB),
    ("data_nascita", ["12/03/1985", "01/07/1990", "30/11/1962"], DOB),
]

DECOYS = [
    ("sku", ["PRD-00123-XL", "SKU-98765", "ART-55555-BLK", "PRD-00999-M"], NONE),
    ("x8", ["PRD-00123-XL", "SKU-98765", "ART-55555-BLK", "PRD-00999-M"], NONE),
    ("ean", ["4006381333931", "5901234123457", "4012345678901", "9780201379624"], NONE),
    ("order_id", [536221234, 401123456, 123456780, 775544332], NONE),
    ("order_id", ["536221234", "401123456", "123456780", "775544332"], NONE),
    ("x10", ["536221234", "401123456", "123456780", "775544332"], NONE),  # bare 9 digits, no hint
    (
        "tracking",
        ["1Z999AA10123456784", "9400111899223334445566", "794644790132", "1Z12345E0205271688"],
        NONE,
    ),
    ("x11", ["1Z999AA10123456784", "9400111899223334445566", "794644790132", "1Z12345E0205271688"], NONE),
    ("version", ["1.2.3", "2.0.0-beta.1", "10.4.12", "v3.1.0"], NONE),
    ("version", ["1.2.3.4", "10.0.1.2", "4.2.0.1"], NONE),  # 4-part versions look like IPv4
    ("x12", ["cb8409d6-c71a-4b11-805d-b06a19d6d73b", "f3009a5c-825f-4542-93bd-488e53fdf07c"], NONE),
    ("flag", ["true", "false", "true", "false"], NONE),
    ("order_date", ["2024-03-12", "2023-07-01", "2025-01-30", "2022-11-15"], NONE),
    ("x13", ["2024-03-12", "2023-07-01", "2025-01-30", "2024-11-15"], NONE),  # recent, no hint
    ("created_at", ["2024-03-12 10:15:00", "2023-07-01 08:00:01", "2025-01-30 23:59:59"], NONE),
    ("country", ["DE", "FR", "US", "IT", "NL", "BR"], NONE),
    ("currency", ["EUR", "USD", "GBP", "BRL"], NONE),
    ("status", ["shipped", "pending", "cancelled", "delivered"], NONE),
    ("product", ["Ultra Widget Pro", "Mega Gadget", "Super Bench 2000"], NONE),
    ("company", ["Kroker GmbH", "Bond Ltd", "Kelly, Taylor and Martinez", "Rossi SPA"], NONE),
    ("x18", ["Wood Street", "Tina Trail", "Baker Road", "Rue Lepic", "Via Roma", "Grace Lane"], NONE),
    ("x19", ["Port Stanley", "New Ryan", "West Troy", "Lake Jessica", "East Allisonhaven"], NONE),
    ("x20", ["Software Engineer", "Data Scientist", "Nurse Practitioner", "Chief Executive Officer"], NONE),
    ("x21", ["de:ad:be:ef:00:01", "00:1A:2B:3C:4D:5E", "12:30:45", "23:59:59"], NONE),  # MACs, times
    ("x22", ["https://example.com/a?b=1", "/usr/local/bin/python3", "C:\\Users\\x\\file.txt"], NONE),
    ("zip", ["10115", "75001", "28013", "00184", "1012 AB"], NONE),
    ("amount", ["12.50", "1,234.00", "99.99", "0.10"], NONE),
    ("x14", ["4111111111111112", "5500000000000005", "1234567812345678"], NONE),  # Luhn fails
    ("x15", ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"], NONE),  # SSN rules
    (
        "x16",
        ["DE89370400440532013001", "GB29NWBK6016133192681", "XX29NWBK60161331926819"],
        NONE,
    ),  # IBAN fails
    ("x17", ["256.1.1.1", "1.2.3", "300.300.300.300"], NONE),
    ("isbn", ["978-3-16-148410-0", "0-306-40615-2"], NONE),
    (
        "sentence",
        ["The quick brown fox jumps over the lazy dog.", "Lorem ipsum dolor sit amet, consectetur."],
        NONE,
    ),
]


def _types(name, values):
    df = pd.DataFrame({name: pd.Series(values)})
    return set(classify_pii(df, today=TODAY).info_types(name))


@pytest.mark.parametrize(
    ("name", "values", "expected"), POSITIVE, ids=[f"{c[0]}-{c[1][0]}" for c in POSITIVE]
)
def test_positive(name, values, expected):
    assert _types(name, values) == expected


@pytest.mark.parametrize(("name", "values", "expected"), DECOYS, ids=[f"{c[0]}-{c[1][0]}" for c in DECOYS])
def test_decoy_stays_clean(name, values, expected):
    assert _types(name, values) == expected


def test_bare_ssn_without_hint_is_only_unlikely():
    df = pd.DataFrame({"x": ["536221234", "401123456", "123456780"]})
    low = classify_pii(df, min_likelihood="VERY_UNLIKELY", today=TODAY)
    assert [(f.info_type, f.likelihood.name) for f in low] == [("US_SOCIAL_SECURITY_NUMBER", "UNLIKELY")]
    assert len(classify_pii(df, today=TODAY)) == 0


def test_nine_digit_order_ids_never_ssn_even_at_lowest_threshold():
    df = pd.DataFrame({"order_id": [536221234, 401123456, 123456780]})
    assert len(classify_pii(df, min_likelihood="VERY_UNLIKELY", today=TODAY)) == 0


def test_datetime_dtype_birth_dates():
    dates = pd.to_datetime(["1985-03-12", "1990-07-01", "1962-11-30", "1977-05-05"])
    df = pd.DataFrame({"dob": dates, "x": dates, "ts": dates + pd.Timedelta(hours=3)})
    report = classify_pii(df, today=TODAY)
    assert report.info_types("dob") == {"DATE_OF_BIRTH"}
    assert report.info_types("ts") == set()  # times of day: not birth dates
    assert report.info_types("x") == set()  # no name, no person column for context


def test_birth_dates_without_hint_need_person_context():
    dates = ["1985-03-12", "1990-07-01", "1962-11-30", "1977-05-05", "2001-09-09", "1950-02-02"]
    names = ["John Smith", "Mary Johnson", "Hans Müller", "Jean Dupont", "Ana Souza", "Jan de Vries"]
    alone = classify_pii(pd.DataFrame({"d": dates}), today=TODAY)
    assert alone.info_types("d") == set()
    with_names = classify_pii(pd.DataFrame({"who": names, "d": dates}), today=TODAY)
    assert with_names.info_types("d") == {"DATE_OF_BIRTH"}
    finding = next(f for f in with_names if f.column == "d")
    assert "a person-name column in the same frame" in finding.reasons


def test_python_date_objects():
    df = pd.DataFrame({"birthday": [dt.date(1985, 3, 12), dt.date(1990, 7, 1), None]})
    assert classify_pii(df, today=TODAY).info_types("birthday") == {"DATE_OF_BIRTH"}


def test_free_text_embedding_several_types():
    notes = [
        "Please call me at +44 20 7946 0958 tomorrow morning if you can.",
        "My email is jane.doe@example.com, write to me any time you like.",
        "Card 4111 1111 1111 1111 was declined at the shop yesterday, sadly.",
        "The server at 192.168.10.20 went down during the night again.",
        "Transfer it to DE89 3704 0044 0532 0130 00 before the end of the month.",
        "Her SSN 536-22-1234 was on the form that we scanned this week.",
        "Nothing sensitive in this note at all, just a reminder to buy milk.",
        "Also reach me at john.smith@example.org or on +1 415 555 2671 please.",
        "Second card on file is 5500 0000 0000 0004 and it expires soon.",
        "Backup host 10.0.0.7 needs a reboot after the update is applied.",
        "Old account GB29 NWBK 6016 1331 9268 19 should be closed this year.",
        "The other SSN 401-12-3456 belongs to the co-signer of the loan.",
    ]
    report = classify_pii(pd.DataFrame({"comments": notes}), today=TODAY)
    assert report.info_types("comments") == {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD_NUMBER",
        "IP_ADDRESS",
        "IBAN_CODE",
        "US_SOCIAL_SECURITY_NUMBER",
    }


def test_mixed_column_carries_several_types():
    values = ["john.smith@example.com", "+44 20 7946 0958", "mary@example.org", "+33 6 12 34 56 78"] * 5
    report = classify_pii(pd.DataFrame({"contact": values}), today=TODAY)
    assert report.info_types("contact") == {"EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert {f.likelihood.name for f in report} == {"LIKELY"}
    # half emails, half junk: not PII enough for the default threshold
    junk = ["john.smith@example.com", "n/a", "mary@example.org", "unknown"] * 5
    assert classify_pii(pd.DataFrame({"contact": junk}), today=TODAY).findings == ()


# ------------------------------------------------------------- phone: digit-only values
_DIGIT_VALUES = st.text(alphabet="0123456789", min_size=1, max_size=30)
_PHONE_VALUES = st.one_of(
    _DIGIT_VALUES,
    st.from_regex(r"\A(\+|00)?[0-9 ().\-/]{0,20}[0-9]{0,4}( ?(x|ext\.?) ?[0-9]{1,4})?\Z"),
    st.text(alphabet="0123456789 +-().x#١", max_size=20),  # an Arabic-Indic digit: isdigit, not ASCII
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PHONE_VALUES, min_size=1, max_size=30))
def test_phone_digit_only_shortcut_agrees_with_every_rule(values):
    """``phone`` sends values made of ASCII digits only through a shortcut; on any mix of
    values its masks are exactly those of the full rules."""
    from nbgov.governance import _pii_validators as v

    s = pd.Series(values, dtype=object, index=range(100, 100 + len(values)))
    fast, full = v.phone(s), v._phone(s)
    assert fast[0].tolist() == full[0].tolist() and fast[1].tolist() == full[1].tolist()


@pytest.mark.parametrize(("value", "formatted", "bare"), [
    ("491511234567", False, True), ("4915112345678", False, False), ("00491511234567", True, False), ("0301234567", True, False),
    ("030123456", True, False), ("03012345", False, True), ("123456", False, False),
    ("1234567890123456", False, False), ("00012345678", False, True),
])
def test_phone_of_digit_only_values(value: str, formatted: bool, bare: bool) -> None:
    from nbgov.governance import _pii_validators as v

    got = v.phone(pd.Series([value], dtype=object))
    assert (bool(got[0][0]), bool(got[1][0])) == (formatted, bare)
