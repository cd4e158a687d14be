"""Field coverage: each Crossref field present in a source, and whether the deposit carries it.

    JATSGEN_SCHEMAS=../shared/schemas python bench/coverage.py [--markdown]

For every source (the shared JATS corpus, the bundled examples and the issue-23 fixtures) the
same facts are collected from the source and from the deposit `jatsgen crossref` writes for
it, as sets of values: publication dates and their formats (print, online), titles, editors,
full-text links, licences, award numbers, relations and Crossmark updates (the DOIs they
name), references, abstracts, ORCIDs and ROR ids. A JATS source is read with plain XPath, not
with jatsgen's reader, so a fact the reader misses counts against it; a record file, sheet or
article page has no XPath, and is read with jatsgen's reader (its model is the source there).

A value present in a source and absent from its deposit is either reported (a located warning
of the field's codes names it) or silently lost; the table says which, and the test
(tests/test_registry_fields.py) requires the second count to be 0.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from jatsgen.config import load_config  # noqa: E402
from jatsgen.jobs import make_batches  # noqa: E402
from jatsgen.jobs.timestamps import TimestampClock  # noqa: E402
from jatsgen.model import Article, Book, Proceedings  # noqa: E402
from jatsgen.readers import read  # noqa: E402
from jatsgen.safexml import parse_bytes  # noqa: E402

SHARED = ROOT.parent / "shared"
CONFIG = ROOT / "tests" / "fixtures" / "registry" / "registry.toml"
XLINK = "{http://www.w3.org/1999/xlink}href"
# the source's pub-date types that date the publication itself (not the issue, not history)
PUBLICATION = {"pub", "epub", "ppub", "epub-ppub", "publication", "original-publication"}
# field -> the warning codes that say a value of it is not carried
FIELDS: dict[str, tuple[str, ...]] = {
    "publication dates": ("crossref.too-many-publication-dates", "crossref.season"),
    "date formats": ("crossref.too-many-publication-dates",),
    "titles": (
        "crossref.translated-titles",
        "crossref.too-many-titles",
        "jats.no-title",
        "jats.book-part",
    ),
    "editors": ("crossref.role-", "crossref.editor-affiliations"),
    "full-text links": ("jats.full-text-link",),
    "licences": (),
    "awards": (),
    "relations and updates": (
        "jats.related-no-doi",
        "jats.related-type",
        "jats.related-forward",
        "crossref.relation-type",
        "crossref.crossmark-policy",
        "crossref.crossmark-preprint",
        "crossref.update-date",
    ),
    "references": (),
    "abstracts": ("jats.abstract-type",),
    "ORCIDs": ("jats.orcid", "record.bad-orcid"),
    "ROR ids": ("jats.ror",),
}


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _doi(text: str | None) -> str:
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", _norm(text)).rstrip(".")


def _orcid(text: str | None) -> str:
    m = re.search(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dxX])", text or "")
    return m.group(1).replace("-", "").upper() if m else ""


def _text(el: etree._Element) -> str:
    return _norm("".join(el.itertext()))


def _x(el: etree._Element, path: str) -> list[etree._Element]:
    found: list[etree._Element] = el.xpath(path)
    return found


Facts = dict[str, set[str]]


def jats_facts(path: Path) -> Facts:
    """The facts of a JATS article (or a BITS book's chapters), by plain XPath."""
    root = parse_bytes(path.read_bytes(), str(path)).getroot()
    metas = _x(root, "front/article-meta | book-meta | .//book-part-meta")
    facts: Facts = {f: set() for f in FIELDS}
    for meta in metas:
        for d in _x(meta, "pub-date"):
            kind = (d.get("date-type") or d.get("pub-type") or "pub").lower()
            if kind not in PUBLICATION:
                continue
            parts = [d.findtext("year"), d.findtext("month")]
            facts["publication dates"].add("-".join(p.strip().zfill(2) for p in parts if p))
            form = (d.get("publication-format") or "").lower()
            if kind in ("epub", "epub-ppub") or form == "electronic":
                facts["date formats"].add("online")
            if kind in ("ppub", "epub-ppub") or form == "print":
                facts["date formats"].add("print")
        titles = _x(
            meta,
            "title-group/article-title | title-group/title | "
            "title-group/trans-title-group/trans-title | book-title-group/book-title",
        )
        facts["titles"] |= {_text(t) for t in titles if _text(t)}
        facts["editors"] |= {
            _norm(c.findtext("name/surname") or c.findtext("collab"))
            for c in _x(meta, "contrib-group/contrib[@contrib-type='editor']")
        }
        facts["full-text links"] |= {
            str(s.get(XLINK)) for s in _x(meta, "self-uri[@content-type]") if s.get(XLINK)
        }
        for lic in _x(meta, "permissions/license"):
            url = lic.get(XLINK) or next(
                (_norm(r.text) for r in _x(lic, ".//*[local-name()='license_ref']")), None
            )
            if url:
                facts["licences"].add(url)
        facts["awards"] |= {_text(a) for a in _x(meta, "funding-group/award-group/award-id")}
        for rel in _x(meta, "related-article | related-object"):
            for value in (rel.get(XLINK), rel.get("document-id")):
                if value and re.search(r"10\.\d{4,9}/", value):
                    facts["relations and updates"].add(_doi(value))
        facts["abstracts"] |= {
            f"{meta.sourceline}-{i}"
            for i, x in enumerate(_x(meta, "abstract | trans-abstract"))
            if _text(x)
        }
        facts["ORCIDs"] |= {
            _orcid(c.text)
            for c in _x(meta, "contrib-group/contrib/contrib-id")
            if "orcid" in ((c.get("contrib-id-type") or "") + (c.text or "")).lower()
        } - {""}
        facts["ROR ids"] |= {
            _norm(i.text)
            for i in _x(meta, ".//institution-id")
            if "ror.org" in (i.text or "") or (i.get("institution-id-type") or "").lower() == "ror"
        }
    facts["references"] = {str(i) for i, _ in enumerate(_x(root, "back//ref-list/ref"))}
    facts["references"] |= {
        f"part{n}-{i}"
        for n, part in enumerate(_x(root, ".//book-part[book-part-meta]"))
        for i, _ in enumerate(_x(part, "back//ref-list/ref"))
    }
    return facts


def model_facts(articles: Iterable[Article]) -> Facts:
    """The same facts of a record file, sheet or page, from jatsgen's reader."""
    facts: Facts = {f: set() for f in FIELDS}
    containers = []
    for a in articles:
        for d in a.publication_dates:
            facts["publication dates"].add(d.iso()[:7])
            if d.media:
                facts["date formats"].add(d.media)
        facts["titles"] |= {_norm(t.text) for t in a.all_titles}
        facts["full-text links"] |= {f.url for f in a.full_text}
        if a.license and a.license.url:
            facts["licences"].add(a.license.url)
        facts["awards"] |= {_norm(x) for f in a.funding for x in f.award_ids}
        facts["relations and updates"] |= {_doi(r.id) for r in a.relations if r.id_type == "doi"}
        facts["relations and updates"] |= {_doi(u.doi) for u in a.updates}
        facts["references"] |= {f"{a.id}-{r.id}" for r in a.references}
        facts["abstracts"] |= {f"{a.id}-{i}" for i, _ in enumerate(a.abstracts)}
        facts["ORCIDs"] |= {_orcid(c.orcid) for c in a.contributors if c.orcid}
        facts["ROR ids"] |= {_norm(x.ror) for x in a.affiliations if x.ror}
        if a.container is not None and a.container not in containers:
            containers.append(a.container)
    for c in containers:
        if isinstance(c, Proceedings | Book) or hasattr(c, "contributors"):
            facts["editors"] |= {
                _norm(p.surname or p.collab) for p in c.contributors if p.role == "editor"
            }
    return facts


def deposit_facts(paths: Iterable[Path]) -> Facts:
    """The same facts in the deposit files, whole (works and their containers)."""
    facts: Facts = {f: set() for f in FIELDS}
    for path in paths:
        root = etree.parse(str(path)).getroot()
        dated = "//*[local-name()='publication_date' or local-name()='posted_date']"
        for d in _x(root, dated):
            parts = [d.findtext("{*}year"), d.findtext("{*}month")]
            facts["publication dates"].add("-".join(p for p in parts if p))
            # a preprint's posted date is its online publication
            facts["date formats"].add(str(d.get("media_type") or "online"))
        facts["titles"] |= {
            _text(t)
            for t in _x(
                root,
                "//*[local-name()='titles']/*[local-name()='title' or "
                "local-name()='original_language_title']",
            )
        }
        facts["editors"] |= {
            _norm(p.findtext("{*}surname") or p.text)
            for p in _x(root, "//*[@contributor_role='editor']")
        }
        facts["full-text links"] |= {
            _norm(r.text)
            for r in _x(root, "//*[local-name()='collection']//*[local-name()='resource']")
        }
        facts["licences"] |= {_norm(r.text) for r in _x(root, "//*[local-name()='license_ref']")}
        facts["awards"] |= {
            _text(a) for a in _x(root, "//*[local-name()='assertion'][@name='award_number']")
        }
        facts["relations and updates"] |= {
            _doi(r.text)
            for r in _x(
                root,
                "//*[local-name()='inter_work_relation' or "
                "local-name()='intra_work_relation' or local-name()='update']",
            )
        }
        facts["references"] |= {
            f"{path.name}-{i}" for i, _ in enumerate(_x(root, "//*[local-name()='citation']"))
        }
        facts["abstracts"] |= {
            f"{path.name}-{i}" for i, _ in enumerate(_x(root, "//*[local-name()='abstract']"))
        }
        facts["ORCIDs"] |= {_orcid(o.text) for o in _x(root, "//*[local-name()='ORCID']")}
        facts["ROR ids"] |= {
            _norm(i.text) for i in _x(root, "//*[local-name()='institution_id'][@type='ror']")
        }
    return facts


@dataclass
class Row:
    """One field over all sources: values found, carried, reported as not carried, lost."""

    sources: int = 0
    found: int = 0
    carried: int = 0
    reported: int = 0
    lost: list[str] = field(default_factory=list)  # "file: value"


def _carried(name: str, source: set[str], deposit: set[str]) -> set[str]:
    """The source's values the deposit holds (counted facts compare by number)."""
    if name in ("references", "abstracts"):
        n = min(len(source), len(deposit))
        return set(sorted(source)[:n])
    if name == "full-text links":
        return {v for v in source if _norm(v) in deposit}
    return source & deposit


def coverage(sources: Iterable[tuple[Path, Path]]) -> dict[str, Row]:
    """Each field's row over `sources` ((source, config) pairs), each converted on its own
    (so each warning is its file's), any prefix, invalid works skipped (and said). A source
    none of whose works could be deposited, with the reasons said, counts as reported."""
    rows = {f: Row() for f in FIELDS}
    with tempfile.TemporaryDirectory() as tmp:
        for n, (src, config) in enumerate(sources):
            cfg = load_config(config)
            out = Path(tmp) / f"out{n}"
            clock = TimestampClock(Path(tmp) / "state", pinned=20250101000000000 + n * 1000)
            run = make_batches(
                [str(src)], cfg, out, clock=clock, any_prefix=True, skip_invalid=True, jobs=1
            )
            codes = {d.code or "" for d in run.diagnostics if d.severity == "warning"}
            refused = run.works == 0 and any(
                d.message.startswith("skipped:") or d.severity == "error" for d in run.diagnostics
            )
            if src.suffix == ".xml":
                have = jats_facts(src)
            else:
                have = model_facts(read(src, container=cfg.container).articles)
            got = deposit_facts(b.path for b in run.batches)
            for name, row in rows.items():
                values = have[name]
                if not values:
                    continue
                row.sources += 1
                row.found += len(values)
                kept = _carried(name, values, got[name])
                row.carried += len(kept)
                missing = sorted(values - kept)
                if missing and (
                    refused or any(c.startswith(p) for c in codes for p in FIELDS[name])
                ):
                    row.reported += len(missing)
                else:
                    row.lost += [f"{src.name}: {v}" for v in missing]
    return rows


def default_sources() -> list[tuple[Path, Path]]:
    """The shared JATS corpus (with the corpus bench's config: the sources' own DOIs), the
    bundled examples and the seed page (the example config), and the issue-23 fixtures
    (their config: links and Crossmark)."""
    fixtures = ROOT / "tests" / "fixtures" / "registry"
    example = ROOT / "examples" / "jatsgen.toml"
    return [
        *[(p, HERE / "corpus.toml") for p in sorted((SHARED / "corpus" / "jats").glob("*.xml"))],
        *[
            (ROOT / "examples" / n, example)
            for n in ("collection.yaml", "article.json", "papers.csv")
        ],
        *[(p, example) for p in sorted(SHARED.glob("seeds/*.txt"))],
        *[
            (fixtures / n, CONFIG)
            for n in ("notice.xml", "book.xml", "volume.yaml", "papers.csv", "nlm23.xml")
        ],
    ]


def markdown(rows: dict[str, Row]) -> str:
    lines = [
        "| field | sources with it | values | carried | reported not carried | silently lost |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r.sources} | {r.found} | {r.carried} | {r.reported} | {len(r.lost)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    rows = coverage(default_sources())
    sys.stdout.write(markdown(rows))
    for name, r in rows.items():
        for lost in r.lost:
            sys.stdout.write(f"lost ({name}): {lost}\n")
    return 1 if any(r.lost for r in rows.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
