"""Identifier syntax and check digits: DOI, ISBN, ISSN, ORCID, ROR.

Each `check_*` returns None when the value is good or a sentence saying what is wrong;
each `normalize_*` returns the canonical form writers use.
"""

from __future__ import annotations

import re
import urllib.parse
from functools import lru_cache

from .hints import invisible, lookalikes

# python-stdnum is imported where it is used: `jatsgen validate FILE` should start fast.

# Crossref's doi_t pattern is 10\.[0-9]{4,9}/.{1,200}; we also refuse whitespace and the
# characters that break URLs and XML attributes in practice.
DOI_RE = re.compile(r"^10\.[0-9]{4,9}/[^\s]{1,200}$")
DOI_IN_TEXT_RE = re.compile(r"\b(10\.[0-9]{4,9}/[^\s\"<>]+)")
DOI_URL_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
ORCID_RE = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?orcid\.org/)?(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX])$", re.I
)
ROR_RE = re.compile(r"^https://ror\.org/0[^ilo\W_]{6}\d{2}$")
PREFIX_RE = re.compile(r"^10\.[0-9]{4,9}$")


DOI_CHARACTERS = (
    "'10.', the prefix's digits, '/' and a suffix of ASCII letters a-z A-Z, digits 0-9 and "
    "- . _ ; ( ) / (type look-alike letters and dashes again on an English keyboard)"
)


def normalize_doi(value: str) -> str:
    """Strip resolver prefixes and trailing punctuation: 'https://doi.org/10.1/x.' -> '10.1/x'."""
    doi = DOI_URL_PREFIX.sub("", value.strip())
    return doi.rstrip(".,;)")


def check_doi(doi: str, prefix: str | None = None) -> str | None:
    if hidden := invisible(doi):
        return f"DOI {doi!r} is not of the form 10.NNNN/suffix: {hidden}"
    odd = lookalikes(doi.split("/", 1)[0] + "/" + _visible_suffix(doi))
    if odd:
        return (
            f"DOI {doi!r} is not of the form 10.NNNN/suffix: {odd.rsplit('; ', 1)[0]}; a DOI "
            f"holds {DOI_CHARACTERS}"
        )
    if not DOI_RE.match(doi):
        return f"DOI {doi!r} is not of the form 10.NNNN/suffix"
    if prefix is not None and doi.split("/", 1)[0] != prefix:
        return f"DOI {doi!r} does not start with the configured prefix {prefix}"
    return None


def _visible_suffix(doi: str) -> str:
    """The suffix's characters that pass for ASCII ones: dashes and spaces, and Cyrillic
    letters with Latin twins among Latin ones (a suffix in Cyrillic is allowed)."""
    suffix = doi.partition("/")[2]
    if suffix.isascii():  # (the common case: every character passes)
        return suffix
    dashes = "\u2010\u2011\u2012\u2013\u2014\u2212\u00a0"
    twins = "АВЕКМНОРСТХаеорсух"
    cyrillic = [ch for ch in suffix if "\u0400" <= ch <= "\u04ff"]
    mixed = any(ch.isascii() and ch.isalpha() for ch in suffix) and all(
        ch in twins for ch in cyrillic
    )
    return "".join(ch for ch in suffix if ch.isascii() or ch in dashes or (mixed and ch in twins))


def citation_doi(raw: str) -> tuple[str | None, str | None]:
    """A cited DOI as a deposit can carry it: resolver prefixes stripped, and percent-encoding
    decoded (`10.1186%2Fs12889-...`, as some platforms write it); (None, why) when what is
    left is not a DOI."""
    doi = normalize_doi(raw)
    if "%" in doi and re.search(r"%[0-9A-Fa-f]{2}", doi):
        doi = normalize_doi(urllib.parse.unquote(doi))
    problem = check_doi(doi)
    return (None, problem) if problem else (doi, None)


def find_doi(text: str) -> str | None:
    if "10." not in text:  # a plain substring test is far cheaper than the regex
        return None
    m = DOI_IN_TEXT_RE.search(text)
    return normalize_doi(m.group(1)) if m else None


@lru_cache(maxsize=1024)
def check_isbn(value: str) -> str | None:
    from stdnum import isbn as _isbn
    from stdnum.exceptions import InvalidChecksum
    from stdnum.exceptions import ValidationError as _StdnumError

    if odd := invisible(value) or lookalikes(value):
        return f"ISBN {value!r} is invalid: {odd}"
    try:
        _isbn.validate(value)
    except InvalidChecksum:
        digits = _isbn.compact(value)
        return f"ISBN {value!r} has a bad check digit: {_isbn_check(digits[:-1])} fits the rest"
    except _StdnumError as exc:
        return f"ISBN {value!r} is invalid ({str(exc).rstrip('.').lower()})"
    return None


def _isbn_check(body: str) -> str:
    """The check digit an ISBN-10 (9 digits) or ISBN-13 (12 digits) needs."""
    if len(body) == 9:
        check = (11 - sum((10 - i) * int(d) for i, d in enumerate(body)) % 11) % 11
        return "X" if check == 10 else str(check)
    from stdnum import ean

    return str(ean.calc_check_digit(body))


@lru_cache(maxsize=1024)
def normalize_isbn(value: str) -> str:
    """ISBN-13 with hyphens where the ranges are known (keeps the printed form otherwise)."""
    from stdnum import isbn as _isbn
    from stdnum.exceptions import ValidationError as _StdnumError

    try:
        return str(_isbn.format(value, convert=True))
    except _StdnumError:
        return value.strip()


@lru_cache(maxsize=1024)
def check_issn(value: str) -> str | None:
    from stdnum import issn as _issn
    from stdnum.exceptions import InvalidChecksum
    from stdnum.exceptions import ValidationError as _StdnumError

    if odd := invisible(value) or lookalikes(value):
        return f"ISSN {value!r} is invalid: {odd}"
    try:
        _issn.validate(value)
    except InvalidChecksum:
        expected = _issn.calc_check_digit(_issn.compact(value)[:7])
        return f"ISSN {value!r} has a bad check digit: {expected} fits the rest"
    except _StdnumError as exc:
        return f"ISSN {value!r} is invalid ({str(exc).rstrip('.').lower()})"
    return None


def normalize_issn(value: str) -> str:
    from stdnum import issn as _issn
    from stdnum.exceptions import ValidationError as _StdnumError

    try:
        return str(_issn.format(value))
    except _StdnumError:
        return value.strip()


def normalize_orcid(value: str) -> str:
    """'0000-0002-1825-0097' or 'orcid.org/...' -> 'https://orcid.org/0000-0002-1825-0097'."""
    v = value.strip()
    v = re.sub(r"^(?:https?://)?(?:www\.)?orcid\.org/", "", v, flags=re.I)
    digits = v.replace("-", "").upper()
    if re.fullmatch(r"\d{15}[\dX]", digits):
        v = "-".join(digits[i : i + 4] for i in range(0, 16, 4))
    return f"https://orcid.org/{v}"


def check_orcid(value: str) -> str | None:
    """What is wrong with an ORCID as the user wrote it (bare, or as the orcid.org URL)."""
    from stdnum.iso7064 import mod_11_2

    if odd := invisible(value) or lookalikes(value):
        return f"ORCID {value!r} is invalid: {odd}"
    m = ORCID_RE.match(value.strip())
    if not m:
        return f"ORCID {value!r} is not of the form 0000-0000-0000-0000 (or its orcid.org URL)"
    digits = m.group(1).replace("-", "").upper()
    if not mod_11_2.is_valid(digits):
        expected = mod_11_2.calc_check_digit(digits[:-1])
        return (
            f"ORCID {value!r} has a bad check digit: the last character should be {expected} "
            "for the digits before it (a typo in one of them?)"
        )
    return None


def check_ror(value: str) -> str | None:
    if hidden := invisible(value):
        return f"ROR id {value!r} is invalid: {hidden}"
    if not ROR_RE.match(value.strip()):
        return f"ROR id {value!r} is not of the form https://ror.org/0xxxxxxNN"
    return None


def normalize_ror(value: str) -> str:
    v = value.strip()
    if re.fullmatch(r"0[a-z0-9]{6}\d{2}", v):
        return f"https://ror.org/{v}"
    return re.sub(r"^http://", "https://", v)


def check_prefix(value: str) -> str | None:
    if not PREFIX_RE.match(value):
        return f"DOI prefix {value!r} is not of the form 10.NNNN"
    return None


# MIME types of full texts, by file extension (Crossref's mime_type.atts lists them all).
_MIME_BY_EXTENSION = {
    ".pdf": "application/pdf",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".epub": "application/epub+zip",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def guess_mime(url: str) -> str | None:
    """The MIME type a full-text URL's extension names (None when it names none)."""
    path = urllib.parse.urlsplit(url).path.lower()
    return next((m for ext, m in _MIME_BY_EXTENSION.items() if path.endswith(ext)), None)


def check_full_text_url(url: str) -> str | None:
    """None for an absolute https URL a crawler can fetch; else what is wrong with it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url):
        return (
            f"full-text link {url!r} is not an absolute https:// URL (Similarity Check and "
            "text-mining crawlers fetch https only)"
        )
    return None
