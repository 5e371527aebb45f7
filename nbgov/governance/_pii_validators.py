"""Vectorised validators for the built-in info types.

Every function takes a ``pandas.Series`` of stripped, non-empty strings (the sample of
one column) and returns NumPy boolean arrays aligned with it. Work is done with pandas
``.str`` methods and NumPy arithmetic: checksums (Luhn, ISO 7064 mod-97) run column-wise
over a digit matrix, never value by value in Python.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nbgov.governance import _pii_lexicon as lex

# Upper / lower case letters of the Latin scripts (Latin-1 + Latin Extended-A).
_UP = "A-ZÀ-ÖØ-ÞĀ-Ž"
_LO = "a-zß-öø-ÿā-ž"

# --------------------------------------------------------------------------- helpers


def trie_regex(words) -> str:
    """A regex matching exactly *words*, factored as a trie (much faster than a flat
    alternation of hundreds of words in Python's ``re``)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


# --------------------------------------------------------------------------- digits


def _digit_matrix(digits: pd.Series, width: int) -> np.ndarray:
    """Right-aligned ``(n, width)`` int matrix of ASCII digit strings (left-padded with 0)."""
    if len(digits) == 0:
        return np.zeros((0, width), dtype=np.int64)
    padded = digits.str.zfill(width).str[-width:]
    buf = "".join(padded.tolist()).encode("ascii")
    return np.frombuffer(buf, dtype=np.uint8).reshape(len(digits), width).astype(np.int64) - 48


def luhn_valid(digits: pd.Series) -> np.ndarray:
    """Luhn check on strings of ASCII digits (any length up to 19)."""
    m = _digit_matrix(digits, 20)
    doubled = np.zeros(20, dtype=bool)
    doubled[-2::-2] = True  # every second digit counted from the right
    d = m.copy()
    d[:, doubled] *= 2
    d[d > 9] -= 9
    return (d.sum(axis=1) % 10) == 0


def mod97(numeric: pd.Series) -> np.ndarray:
    """Remainder mod 97 of long decimal strings (ISO 7064), column by column."""
    width = int(numeric.str.len().max()) if len(numeric) else 1
    m = _digit_matrix(numeric, width)
    r = np.zeros(len(numeric), dtype=np.int64)
    for j in range(width):
        r = (r * 10 + m[:, j]) % 97
    return r


# --------------------------------------------------------------------------- email

_EMAIL_CORE = (
    r"[A-Za-z0-9._%+'\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
)
EMAIL_FULL = re.compile(r"^(?:mailto:)?(?:[^<>@]{0,80}<)?" + _EMAIL_CORE + r">?$")
EMAIL_EMBEDDED = re.compile(r"(?<![\w.%+\-'])" + _EMAIL_CORE + r"(?![\w\-])")


def email(s: pd.Series) -> np.ndarray:
    return s.str.match(EMAIL_FULL).to_numpy(dtype=bool, copy=True)


# --------------------------------------------------------------------------- credit cards

_CC_ISSUERS = (
    r"4[0-9]{15}(?:[0-9]{3})?"  # Visa 16/19 (13-digit Visa is obsolete and collides with EAN-13)
    r"|(?:5[1-5][0-9]{2}|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}"  # Mastercard
    r"|3[47][0-9]{13}"  # American Express
    r"|(?:6011|65[0-9]{2}|64[4-9][0-9]|622[0-9])[0-9]{12,15}"  # Discover / UnionPay co-brand
    r"|35[0-9]{14,17}"  # JCB (IIN 3528-3589; 35xx accepted)
    r"|(?:2131|1800)[0-9]{11}"  # JCB 15
    r"|3(?:0[0-5]|[689][0-9])[0-9]{10,15}"  # Diners Club 14-19
    r"|(?:5[06-9]|6[0-9])[0-9]{10,17}"  # Maestro / UnionPay 12-19
    r"|220[0-4][0-9]{12,15}"  # Mir
)
_CC_ISSUER_RE = re.compile(r"^(?:" + _CC_ISSUERS + r")$")
# Bare, or in groups of 4 (Amex 4-6-5), separated by single spaces or dashes.
_CC_SHAPE = re.compile(
    r"^(?:[0-9]{12,19}|[0-9]{4}(?:([ \-])[0-9]{4}){2,3}(?:\1[0-9]{1,3})?|[0-9]{4}([ \-])[0-9]{6}\2[0-9]{4,5})$"
)
CC_EMBEDDED = re.compile(
    r"(?<![0-9\-.])(?:[0-9]{4}(?:[ \-]?[0-9]{4}){2}[ \-]?[0-9]{1,7}|[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{5})(?![0-9\-])"
)


def credit_card_digits(digits: pd.Series) -> np.ndarray:
    ok = digits.str.match(_CC_ISSUER_RE).to_numpy(dtype=bool, copy=True)
    if ok.any():
        ok[ok] = luhn_valid(digits[ok])
    return ok


def credit_card(s: pd.Series) -> np.ndarray:
    shape = s.str.match(_CC_SHAPE).to_numpy(dtype=bool, copy=True)
    out = np.zeros(len(s), dtype=bool)
    if shape.any():
        out[shape] = credit_card_digits(s[shape].str.replace(r"[ \-]", "", regex=True))
    return out


# --------------------------------------------------------------------------- US SSN

# Area 001-899 except 666, group 01-99, serial 0001-9999; never the numbers published in
# advertising (078-05-1120, 219-09-9999, 123-45-6789).
_SSN_NOT_AD = r"(?!078\D?05\D?1120$|219\D?09\D?9999$|123\D?45\D?6789$)"
_SSN_FORMATTED = re.compile(
    rf"^{_SSN_NOT_AD}(?!000|666|9)[0-9]{{3}}([\- ])(?!00)[0-9]{{2}}\1(?!0000)[0-9]{{4}}$"
)
_SSN_BARE = re.compile(rf"^{_SSN_NOT_AD}(?!000|666|9)[0-9]{{3}}(?!00)[0-9]{{2}}(?!0000)[0-9]{{4}}$")
SSN_EMBEDDED = re.compile(r"(?<![0-9\-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9\-])")


def ssn(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``(formatted, bare)``: ``123-45-6789`` style and bare 9 digits, both rule-checked."""
    formatted = s.str.match(_SSN_FORMATTED).to_numpy(dtype=bool, copy=True)
    bare = s.str.match(_SSN_BARE).to_numpy(dtype=bool, copy=True)
    return formatted, bare


# --------------------------------------------------------------------------- IP addresses

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = _OCTET + r"(?:\." + _OCTET + r"){3}"
_H = r"[0-9a-fA-F]{1,4}"
_IPV6 = (
    r"(?:(?:"
    + _H
    + r":){7}"
    + _H
    + r"|(?:"
    + _H
    + r":){1,7}:"
    + r"|(?:"
    + _H
    + r":){1,6}:"
    + _H
    + r"|(?:"
    + _H
    + r":){1,5}(?::"
    + _H
    + r"){1,2}"
    + r"|(?:"
    + _H
    + r":){1,4}(?::"
    + _H
    + r"){1,3}"
    + r"|(?:"
    + _H
    + r":){1,3}(?::"
    + _H
    + r"){1,4}"
    + r"|(?:"
    + _H
    + r":){1,2}(?::"
    + _H
    + r"){1,5}"
    + r"|"
    + _H
    + r":(?::"
    + _H
    + r"){1,6}"
    + r"|::(?:"
    + _H
    + r":){0,5}"
    + _H
    + r"|(?:"
    + _H
    + r":){6}"
    + _IPV4
    + r"|::(?:ffff(?::0{1,4})?:)?"
    + _IPV4
    + r")"
)
_IP_FULL = re.compile(
    r"^(?:" + _IPV4 + r"(?:/[0-9]{1,2}|:[0-9]{1,5})?|\[?" + _IPV6 + r"(?:%\w+)?\]?(?:/[0-9]{1,3})?)$"
)
IP_EMBEDDED = re.compile(r"(?<![\w.:])(?:" + _IPV4 + r"(?![\w.]*[0-9])|" + _IPV6 + r"(?![\w:]))")


def ip_address(s: pd.Series) -> np.ndarray:
    return s.str.match(_IP_FULL).to_numpy(dtype=bool, copy=True)


# --------------------------------------------------------------------------- IBAN

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
IBAN_EMBEDDED = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])"
)
_LETTERS = {ord(c): str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def iban_compact(compact: pd.Series) -> np.ndarray:
    """IBAN check on upper-case strings without spaces: country length + mod-97 == 1."""
    ok = compact.str.match(_IBAN_SHAPE).to_numpy(dtype=bool, copy=True)
    if not ok.any():
        return ok
    cand = compact[ok]
    expected = cand.str[:2].map(lex.IBAN_LENGTHS)
    length_ok = (cand.str.len() == expected).to_numpy(dtype=bool, copy=True)
    rearranged = (cand.str[4:] + cand.str[:4]).str.translate(_LETTERS)
    res = np.zeros(len(cand), dtype=bool)
    if length_ok.any():
        res[length_ok] = mod97(rearranged[length_ok]) == 1
    ok[ok] = res
    return ok


def iban(s: pd.Series) -> np.ndarray:
    return iban_compact(s.str.replace(r"[ \-]", "", regex=True).str.upper())


# --------------------------------------------------------------------------- phone numbers

_PHONE_CHARS = re.compile(r"^\+?[0-9\s().\-/]{6,26}[0-9]$")
_PHONE_EXT = re.compile(r"\s*(?:x|ext\.?|extension|#|poste|durchwahl)\s*[0-9]{1,6}$", re.IGNORECASE)
_DATE_LIKE = re.compile(r"^[0-9]{1,4}[./\-][0-9]{1,2}[./\-][0-9]{1,4}$")
_NANP = re.compile(r"^(?:\+?1[\s.\-]?)?\(?[2-9][0-9]{2}\)?[\s.\-]?[2-9][0-9]{2}[\s.\-][0-9]{4}$")
PHONE_EMBEDDED = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[1-9][0-9]{0,2}[\s.\-/]?(?:\(0\)[\s.\-]?)?\(?[0-9]{1,5}\)?(?:[\s.\-/]?[0-9]{2,8}){1,4}"
    r"|\(0?[0-9]{2,5}\)\s?[0-9]{2,5}(?:[\s.\-][0-9]{2,5}){0,3}"
    r"|0[1-9][0-9]{0,4}(?:[\s.\-/][0-9]{2,8}){1,4}"
    r"|[2-9][0-9]{2}[.\-][2-9][0-9]{2}[.\-][0-9]{4})(?![\w\-])"
)


def phone(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``(formatted, bare)`` phone masks.

    *formatted* is an international (``+``/``00``) number, a number with an area code in
    parentheses, a national number with its trunk ``0``, a North American ``NXX-NXX-XXXX``,
    or digits in 2–4 digit groups with at least two separators; 7–15 digits (17 with ``00``).
    *bare* is an unformatted run of 7–12 digits, which only counts with a column-name hint.

    Values made of ASCII digits only — an integer column read as text — take
    :func:`_digit_phone`, the same rules reduced to their length and first digits (no
    regex, no split), a tenth of the cost; the rest take every rule.
    """
    digits_only = np.fromiter((isinstance(x, str) and x.isascii() and x.isdigit() for x in s), bool, len(s))
    if not digits_only.any():
        return _phone(s)
    formatted, bare = _digit_phone(s[digits_only])
    if digits_only.all():
        return formatted, bare
    rest_formatted, rest_bare = _phone(s[~digits_only])
    out_formatted, out_bare = np.zeros(len(s), dtype=bool), np.zeros(len(s), dtype=bool)
    out_formatted[digits_only], out_bare[digits_only] = formatted, bare
    out_formatted[~digits_only], out_bare[~digits_only] = rest_formatted, rest_bare
    return out_formatted, out_bare


def _digit_phone(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_phone` of values made of ASCII digits only. For such a value of ``n`` digits the
    rules reduce to: the shape holds for 7–27 characters; no extension, date, IPv4,
    separator, parenthesis, NANP layout or digit groups can match; international means a
    ``00`` then 1–9; a trunk is ``0`` then 1–9."""
    n = np.fromiter((len(x) for x in s), np.int64, len(s))
    intl = np.fromiter((x[:2] == "00" and x[2:3] in _NONZERO for x in s), bool, len(s))
    trunk = np.fromiter((x[:1] == "0" and x[1:2] in _NONZERO for x in s), bool, len(s))
    shape = (n >= 7) & (n <= 27)
    nd_ok = (n >= 7) & (n <= 15) | (intl & (n <= 17) & (n >= 9))
    formatted = shape & nd_ok & (intl | (trunk & (n >= 9)))
    bare = shape & (n >= 7) & (n <= 12) & ~formatted
    return formatted, bare


_NONZERO = frozenset("123456789")


def _phone(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`phone` by every rule (any value)."""
    core = s.str.replace(_PHONE_EXT, "", regex=True)
    shape = core.str.match(_PHONE_CHARS).to_numpy(dtype=bool, copy=True)
    shape &= ~core.str.match(_DATE_LIKE).to_numpy(dtype=bool, copy=True)
    shape &= ~core.str.match(re.compile(r"^" + _IPV4 + r"$")).to_numpy(dtype=bool, copy=True)
    digits = core.str.replace(r"[^0-9]", "", regex=True)
    nd = digits.str.len().to_numpy()
    intl = core.str.match(r"^(?:\+|00)[1-9]").to_numpy(dtype=bool, copy=True)
    nd_ok = (nd >= 7) & (nd <= 15) | (intl & (nd <= 17) & (nd >= 9))
    separated = core.str.contains(r"[\s().\-/]", regex=True).to_numpy(dtype=bool, copy=True)
    paren = core.str.match(r"^(?:\+?[0-9]{1,3}[\s.\-]?)?\(").to_numpy(dtype=bool, copy=True)
    trunk = core.str.match(r"^0[1-9]").to_numpy(dtype=bool, copy=True)
    nanp = core.str.match(_NANP).to_numpy(dtype=bool, copy=True)
    groups = core.str.split(r"[\s().\-/]+", regex=True)
    gl = groups.explode()
    gl = gl[gl.notna() & (gl != "")].str.len()
    group_ok = ((gl >= 2) & (gl <= 4)).groupby(level=0).all().reindex(core.index, fill_value=False)
    n_groups = gl.groupby(level=0).size().reindex(core.index, fill_value=0)
    grouped = (group_ok & (n_groups >= 3)).to_numpy(dtype=bool, copy=True)
    formatted = shape & nd_ok & (intl | paren | (trunk & (nd >= 9)) | nanp | (separated & grouped))
    bare = shape & ~separated & (nd >= 7) & (nd <= 12) & ~formatted
    return formatted, bare


# --------------------------------------------------------------------------- dates of birth

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y", "%Y%m%d")
_DATE_SHAPE = re.compile(
    r"^(?:[0-9]{4}[\-/][0-9]{1,2}[\-/][0-9]{1,2}|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{4}|"
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
    r"(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
)
DOB_EMBEDDED = re.compile(
    r"(?i:\b(?:born|birth|dob|d\.o\.b\.?|birthday|geboren|geburtsdatum|né|née|nacid[oa]|nat[oa]|"
    r"geboren op|nascid[oa]|naissance|nacimiento|nascita|nascimento)\b)[^0-9]{0,25}"
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{4})"
)


def parse_dates(s: pd.Series) -> pd.Series:
    """Parse date-only strings in the common numeric layouts; NaT elsewhere."""
    shaped = s.where(s.str.match(_DATE_SHAPE))
    shaped = shaped.str.replace(r"[ T]00:00.*$", "", regex=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for fmt in _DATE_FORMATS:
        missing = out.isna() & shaped.notna()
        if not missing.any():
            break
        out[missing] = pd.to_datetime(shaped[missing], format=fmt, errors="coerce")
    return out


def birth_like(dates: pd.Series, today: _dt.date) -> np.ndarray:
    """Dates without a time of day whose implied age is 0–120 years."""
    d = pd.to_datetime(dates, errors="coerce")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    midnight = (d == d.dt.normalize()).to_numpy(dtype=bool, copy=True)
    ts = pd.Timestamp(today)
    lo = ts - pd.DateOffset(years=120)
    in_range = ((d <= ts) & (d >= lo)).to_numpy(dtype=bool, copy=True)
    return midnight & in_range


def ages(dates: pd.Series, today: _dt.date) -> np.ndarray:
    d = pd.to_datetime(dates, errors="coerce")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return ((pd.Timestamp(today) - d).dt.days / 365.25).to_numpy(dtype=float)


# --------------------------------------------------------------------------- person names

_CAP_TOKEN = re.compile(rf"^[{_UP}][{_UP}{_LO}'’\-]*[{_LO}]$")
_HAS_FORBIDDEN = re.compile(r"[0-9@/\\_#%&+=<>|:;!?*\[\]{}\"]")
_TITLES = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Prof",
    "Herr",
    "Frau",
    "Mme",
    "Mlle",
    "Sr",
    "Sra",
    "Dott",
    "Sig",
    "Dhr",
    "Mevr",
)
# A capitalised word followed by a capitalised surname (with particles), or a title and a name.
# Which pairs are names is decided after extraction: the first word must be a common given
# name (or a title) and the last must not be a street or company word.
NAME_EMBEDDED = re.compile(
    rf"(?<![\w])((?:(?:{'|'.join(_TITLES)})\.?|[{_UP}][{_LO}]+)\s+"
    rf"(?:(?:van|von|de|da|di|del|dos|der|den|la|le)\s+)*[{_UP}][{_LO}]{{2,}}(?:-[{_UP}][{_LO}]+)?)(?![\w])"
)
_TITLE_SET = frozenset(x.lower() for x in _TITLES)


def embedded_name_ok(found: pd.Series) -> np.ndarray:
    first = found.str.extract(r"^(\S+)", expand=False).str.lower().str.rstrip(".")
    last = found.str.extract(r"(\S+)$", expand=False).str.lower()
    ok = first.isin(lex.GIVEN_NAMES) | first.isin(_TITLE_SET)
    ok &= ~last.isin(lex.STREET_WORDS) & ~last.isin(lex.NOT_NAME_WORDS)
    return ok.to_numpy(dtype=bool, copy=True)


@dataclass(frozen=True)
class NameEvidence:
    shaped: np.ndarray  # value looks like a person's name (capitalised tokens, titles, particles)
    known: np.ndarray  # ... and at least one token is a common given name or surname
    single: np.ndarray  # a single capitalised token (a first-name or surname-only column)


def person_name(s: pd.Series) -> NameEvidence:
    n = len(s)
    clean = s.str.replace(r"[,\s]+", " ", regex=True).str.strip()
    ok_chars = (
        ~clean.str.contains(_HAS_FORBIDDEN).to_numpy(dtype=bool, copy=True)
        & (clean.str.len() <= 60).to_numpy()
    )
    tok = clean.str.split(" ").explode()
    tok = tok[tok.notna() & (tok != "")]
    rows = tok.index.to_numpy()
    tok = tok.reset_index(drop=True)  # one id per token
    low = tok.str.lower()
    bare = low.str.rstrip(".")
    is_affix = low.isin(lex.NAME_AFFIXES) | bare.isin(lex.NAME_AFFIXES) | tok.str.contains(".", regex=False)
    is_particle = tok.isin(lex.NAME_PARTICLES)
    is_core = tok.str.match(_CAP_TOKEN) & ~is_affix
    blocked = bare.isin(lex.NOT_NAME_WORDS)
    parts = bare.str.split("-").explode()
    part_known = (parts.isin(lex.GIVEN_NAMES) | parts.isin(lex.SURNAMES)).groupby(level=0).any()
    known_tok = part_known.reindex(tok.index, fill_value=False).to_numpy(dtype=bool, copy=True)
    frame = pd.DataFrame(
        {
            "core": is_core.to_numpy(dtype=bool, copy=True),
            "other": ~(is_core | is_affix | is_particle).to_numpy(dtype=bool, copy=True),
            "blocked": blocked.to_numpy(dtype=bool, copy=True),
            "known": known_tok & is_core.to_numpy(dtype=bool, copy=True),
        },
    )
    g = frame.groupby(rows).sum().reindex(s.index, fill_value=0)
    core = g["core"].to_numpy()
    clean_tokens = (g["other"].to_numpy() == 0) & (g["blocked"].to_numpy() == 0) & ok_chars
    shaped = clean_tokens & (core >= 2) & (core <= 4)
    single = clean_tokens & (core == 1)
    known = g["known"].to_numpy() > 0
    assert len(shaped) == n
    return NameEvidence(shaped=shaped, known=known, single=single)


def street_name_share(s: pd.Series) -> float:
    """Fraction of values that start or end with a street word ("Wood Street", "Rue Lepic").

    A few surnames are street words too (Park, Lane, Hill), so this is only read for a
    whole column: a name column rarely has more than a few percent of them."""
    if len(s) == 0:
        return 0.0
    first = s.str.extract(r"^\s*(\S+)", expand=False).str.lower().str.rstrip(".")
    last = s.str.extract(r"(\S+)\s*$", expand=False).str.lower().str.rstrip(".")
    hit = first.isin(lex.STREET_WORDS_INTL) | last.isin(lex.STREET_WORDS)
    return float(hit.mean())


# --------------------------------------------------------------------------- street addresses

_EN_STREET = lex.STREET_WORDS_EN
_INTL_STREET = lex.STREET_WORDS_INTL
_EN_ALT = trie_regex(w.capitalize() for w in _EN_STREET)
_INTL_ALT = trie_regex(_INTL_STREET)
_SUFFIX_ALT = trie_regex(lex.STREET_SUFFIXES)
_HOUSE = r"[0-9]{1,5}[A-Za-z]?(?:\s?[\-/]\s?[0-9]{1,5}[A-Za-z]?)?"
# 12 Baker Street / 36 Debra Forges / 78, rue de Bailly / Studio 8, Leigh Fort
_ADDR_NUMBER_FIRST = rf"(?<![\w.,])(?:{_HOUSE})(?:\s?(?:bis|ter))?,?\s+(?:[^\s,]+\s+){{0,4}}?(?:(?:{_EN_ALT})\.?|(?i:{_INTL_ALT}))(?![\w])"
# Calle de Alcalá 12 / Via Roma, 12 / Rua Augusta, 123 / boulevard Lévy, 29514 Paris
_ADDR_WORD_FIRST = rf"(?<![\w])(?:(?i:{_INTL_ALT})|(?:{_EN_ALT}))\.?\s+(?:[^\s,]+[\s,]+){{0,6}}?(?:n\.?\s?|nº\s?|no\.?\s?)?{_HOUSE}(?![0-9])"
# Hauptstraße 5 / Kerkstraat 12a / Müller-Weg 7
_ADDR_COMPOUND = rf"(?<![\w])[{_UP}][\w\-]*(?i:{_SUFFIX_ALT})\s*,?\s*{_HOUSE}(?![0-9])"
ADDRESS_ANY = re.compile(rf"{_ADDR_NUMBER_FIRST}|{_ADDR_WORD_FIRST}|{_ADDR_COMPOUND}")
ADDRESS_EMBEDDED = re.compile(
    rf"(?<![\w.,])(?:{_HOUSE}),?\s+(?:[{_UP}][^\s,]*\s+){{0,3}}(?:(?:{_EN_ALT})\.?)(?![\w])|{_ADDR_COMPOUND}"
)


def street_address(s: pd.Series) -> np.ndarray:
    flat = s.str.replace(r"\s*[\r\n]+\s*", ", ", regex=True)
    short = (flat.str.count(r"\S+") <= 16).to_numpy() & ~flat.str.contains("@", regex=False).to_numpy(
        dtype=bool, copy=True
    )
    return short & flat.str.contains(ADDRESS_ANY).to_numpy(dtype=bool, copy=True)


# --------------------------------------------------------------------------- free text


def find_all(s: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    """Every match of *pattern* in every value, as one long Series indexed by row."""
    found = s.str.findall(pattern).explode()
    found = found[found.notna()]
    if len(found) and not isinstance(found.iloc[0], str):  # a pattern with groups yields tuples
        found = found.map(lambda t: t[0] if isinstance(t, tuple) else t)
    return found.astype(str)


def any_by_row(mask: np.ndarray, index: pd.Index, rows: pd.Index) -> np.ndarray:
    if len(index) == 0:
        return np.zeros(len(rows), dtype=bool)
    return (
        pd.Series(mask, index=index)
        .groupby(level=0)
        .any()
        .reindex(rows, fill_value=False)
        .to_numpy(dtype=bool, copy=True)
    )
