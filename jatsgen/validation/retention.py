"""What a JATS -> Crossref conversion kept: the same facts counted in the source and in the
deposit, independently of the reader (plain XPath over each file), so a report can say
"ORCIDs: 5 of 5 carried" for any converter's output, jatsgen's or another tool's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..safexml import local, parse_bytes

FIELDS = (
    "dois",
    "contributors",
    "orcids",
    "affiliations",
    "references",
    "reference_dois",
    "funders",
    "license",
)


@dataclass
class Counts:
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def __getitem__(self, key: str) -> int:
        return self.values[key]


def _x(el: etree._Element, path: str) -> list[etree._Element]:
    found: list[etree._Element] = el.xpath(path)
    return found


def jats_counts(path: str | Path) -> Counts:
    """Facts in the main article of a JATS file (sub-articles are not counted)."""
    root = parse_bytes(Path(path).read_bytes(), str(path)).getroot()
    meta = root.find("front/article-meta")
    c = Counts()
    if meta is None:
        return c
    c.values["dois"] = int(bool(_x(meta, "article-id[@pub-id-type='doi']")))
    authors = [
        x
        for x in _x(meta, "contrib-group/contrib")
        if (x.get("contrib-type") or "author") == "author"
    ]
    c.values["contributors"] = len(authors)
    c.values["orcids"] = sum(
        1
        for a in authors
        for cid in a.findall("contrib-id")
        if (cid.get("contrib-id-type") or "").lower() == "orcid" or "orcid.org" in (cid.text or "")
    )
    c.values["affiliations"] = sum(
        len(
            [
                r
                for x in a.findall("xref")
                if x.get("ref-type") == "aff"
                for r in (x.get("rid") or "").split()
            ]
        )
        + len(a.findall("aff"))
        for a in authors
    )
    if c.values["affiliations"] == 0 and len(_x(meta, ".//aff")) == 1:
        c.values["affiliations"] = len(authors)  # one shared affiliation, no xrefs
    refs = _x(root, "back//ref-list/ref")
    c.values["references"] = len(refs)
    c.values["reference_dois"] = sum(1 for r in refs if _ref_has_doi(r))
    c.values["funders"] = len(_x(meta, "funding-group/award-group/funding-source"))
    lic = meta.find("permissions/license")
    c.values["license"] = int(
        lic is not None
        and bool(
            lic.get("{http://www.w3.org/1999/xlink}href")
            or _x(lic, ".//*[local-name()='license_ref']")
            or _x(
                lic,
                ".//*[self::ext-link or self::uri][starts-with(@*[local-name()='href'],'http')]",
            )
        )
    )
    return c


def _ref_has_doi(ref: etree._Element) -> bool:
    if _x(ref, ".//pub-id[@pub-id-type='doi'] | .//ext-link[@ext-link-type='doi']"):
        return True
    text = "".join(ref.itertext())
    return bool(re.search(r"\b10\.\d{4,9}/\S+", text))


def crossref_counts(path: str | Path, doi: str) -> Counts:
    """The same facts for one work (found by its DOI) in a Crossref deposit file."""
    root = parse_bytes(Path(path).read_bytes(), str(path)).getroot()
    c = Counts()
    work = None
    for dd in root.iter("{*}doi_data"):
        d = dd.find("{*}doi")
        if d is not None and (d.text or "").strip().lower() == doi.lower():
            work = dd.getparent()
            break
    if work is None:
        return c
    c.values["dois"] = 1
    people = [
        p
        for p in work.iterfind("{*}contributors/*")
        if p.get("contributor_role") in ("author", None)
        and local(p) in ("person_name", "organization")
    ]
    c.values["contributors"] = len(people)
    c.values["orcids"] = sum(1 for p in people if p.find("{*}ORCID") is not None)
    c.values["affiliations"] = sum(
        len(p.findall("{*}affiliations/{*}institution")) + len(p.findall("{*}affiliation"))
        for p in people
    )
    cites = work.findall("{*}citation_list/{*}citation")
    c.values["references"] = len(cites)
    c.values["reference_dois"] = sum(1 for x in cites if x.find("{*}doi") is not None)
    c.values["funders"] = len(_x(work, ".//*[local-name()='assertion'][@name='funder_name']"))
    c.values["license"] = int(bool(_x(work, ".//*[local-name()='license_ref']")))
    return c
