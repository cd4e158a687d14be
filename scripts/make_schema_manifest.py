"""Regenerate schemas/manifest.json from a folder of official schema files.

    python scripts/make_schema_manifest.py ../shared/schemas > schemas/manifest.json

The manifest lists each folder of official files once, with the sha256 of every file in it
(an XSD folder's .xsd files; a DTD package's every file), and each schema set: the folder it
lives in, its entry file, where it is published, and the remote schemaLocations that must be
mapped to local files (a catalog), so the official files are used unedited and validation
never goes online. Several sets may share a folder (Crossref 4.3.0-4.8.1, the resource-only
and grant schemas all live in crossref/4.x; the three JATS 1.3 DTD tag sets in one folder).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

CROSSREF_BASE = "https://www.crossref.org/schemas/"
CATALOG = {
    "http://www.w3.org/Math/XMLSchema/mathml3/mathml3.xsd": "standard-modules/mathml3/mathml3.xsd",
    "http://www.w3.org/2009/01/xml.xsd": "standard-modules/xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "standard-modules/xml.xsd",
    "https://www.w3.org/2001/xml.xsd": "standard-modules/xml.xsd",
    "http://www.w3.org/1999/xlink.xsd": "standard-modules/xlink.xsd",
}
JATS_FTP = "https://ftp.ncbi.nlm.nih.gov/pub/jats"

Set = tuple[str, str, str, str, str, dict[str, Any]]  # id, label, dir, entry, version, extra
SETS: list[Set] = []


def crossref(sid: str, label: str, folder: str, entry: str, version: str = "1.0") -> None:
    SETS.append((sid, label, folder, entry, version, {"base_url": CROSSREF_BASE}))


# Crossref deposit schemas: 5.x (what jatsgen writes), 4.x (what older OJS and typesetters
# still send: validated and deposited as they are), resource-only deposits and grants.
crossref("crossref-5.3.0", "Crossref deposit 5.3.0", "crossref/5.3.1", "crossref5.3.0.xsd")
crossref("crossref-5.3.1", "Crossref deposit 5.3.1", "crossref/5.3.1", "crossref5.3.1.xsd")
crossref("crossref-5.4.0", "Crossref deposit 5.4.0", "crossref/5.4.0", "crossref5.4.0.xsd")
crossref("crossref-5.5.0", "Crossref deposit 5.5.0", "crossref/5.5.0", "crossref5.5.0.xsd", "1.1")
crossref(
    "doi-resources-5.4.0",
    "Crossref resource-only deposit 5.4.0",
    "crossref/5.4.0",
    "doi_resources5.4.0.xsd",
)
for v in ("4.3.0 4.3.1 4.3.2 4.3.3 4.3.4 4.3.5 4.3.6 4.3.7 4.3.8 4.4.0 4.4.1 4.4.2 4.5.0 4.6.0 "
          "4.7.0 4.8.0 4.8.1").split():  # fmt: skip
    crossref(f"crossref-{v}", f"Crossref deposit {v}", "crossref/4.x", f"crossref{v}.xsd")
for v in "4.3.0 4.3.2 4.3.4 4.3.5 4.3.6 4.4.2 4.4.5 4.5.0".split():
    crossref(
        f"doi-resources-{v}",
        f"Crossref resource-only deposit {v}",
        "crossref/4.x",
        f"doi_resources{v}.xsd",
    )
for v in ("0.0.1", "0.0.2", "0.1.0"):
    crossref(f"grant-id-{v}", f"Crossref grant deposit {v}", "crossref/4.x", f"grant_id{v}.xsd")

# JATS Journal Publishing 1.3 and 1.4 as XSD (what jatsgen writes and validates fastest)
for v in ("1.3", "1.4"):
    n = v.replace(".", "-")
    SETS.append(
        (
            f"jats-{v}-publishing",
            f"JATS {v} Journal Publishing (MathML 3)",
            f"jats/{v}/publishing",
            f"JATS-journalpublishing{n}-mathml3.xsd",
            "1.0",
            {
                "archive_url": f"{JATS_FTP}/publishing/{v}/"
                + ("xsd/" if v == "1.4" else "")
                + f"JATS-Publishing-{n}-MathML3-XSD.zip"
            },
        )
    )

# Every other JATS and NLM version and tag set, judged by its official DTD: the document's
# PUBLIC identifier picks the driver through the package's catalog; without one, the entry.
# (id, label, folder, entry, official source)
DTDS: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("jats-1.0-publishing", "JATS 1.0 Journal Publishing (DTD)", "publishing-1.0",
     "JATS-journalpublishing1.dtd",
     {"archive_url": f"{JATS_FTP}/publishing/1.0/jats-publishing-dtd-1.0.zip"}),
    ("jats-1.1-publishing", "JATS 1.1 Journal Publishing (DTD)", "publishing-1.1",
     "JATS-journalpublishing1.dtd",
     {"archive_url": f"{JATS_FTP}/publishing/1.1/JATS-Publishing-1-1-MathML2-DTD.zip"}),
    ("jats-1.2-publishing", "JATS 1.2 Journal Publishing (DTD)", "publishing-1.2",
     "JATS-journalpublishing1.dtd", {}),
    ("jats-1.0-archiving", "JATS 1.0 Archiving and Interchange (DTD)", "archiving-1.0",
     "JATS-archivearticle1.dtd", {}),
    ("jats-1.1-archiving", "JATS 1.1 Archiving and Interchange (DTD)", "archiving-1.1",
     "JATS-archivearticle1.dtd", {}),
    ("jats-1.2-archiving", "JATS 1.2 Archiving and Interchange (DTD)", "archiving-1.2",
     "JATS-archivearticle1.dtd", {}),
    ("jats-1.2-authoring", "JATS 1.2 Article Authoring (DTD)", "authoring-1.2",
     "JATS-articleauthoring1.dtd", {}),
    ("jats-1.3-archiving", "JATS 1.3 Archiving and Interchange (DTD, MathML 3)", "jats-1.3",
     "JATS-archivearticle1-3-mathml3.dtd", {}),
    ("jats-1.3-authoring", "JATS 1.3 Article Authoring (DTD, MathML 3)", "jats-1.3",
     "JATS-articleauthoring1-3-mathml3.dtd", {}),
    ("jats-1.4-archiving", "JATS 1.4 Archiving and Interchange (DTD, MathML 3)", "jats-1.4",
     "JATS-archivearticle1-4-mathml3.dtd", {}),
    ("jats-1.4-authoring", "JATS 1.4 Article Authoring (DTD, MathML 3)", "jats-1.4",
     "JATS-articleauthoring1-4-mathml3.dtd", {}),
    ("nlm-2.3-archiving", "NLM Journal Archiving and Interchange 2.3 (DTD)", "nlm-archiving-2.3",
     "archivearticle.dtd", {"info_url": "https://dtd.nlm.nih.gov/archiving/2.3/"}),
    ("nlm-3.0-archiving", "NLM Journal Archiving and Interchange 3.0 (DTD)", "nlm-archiving-3.0",
     "archivearticle3.dtd", {"info_url": "https://dtd.nlm.nih.gov/archiving/3.0/"}),
    ("nlm-2.3-publishing", "NLM Journal Publishing 2.3 (DTD)", "nlm-publishing-2.3",
     "journalpublishing.dtd", {"info_url": "https://dtd.nlm.nih.gov/publishing/2.3/"}),
    ("nlm-3.0-publishing", "NLM Journal Publishing 3.0 (DTD)", "nlm-publishing-3.0",
     "journalpublishing3.dtd",
     {"archive_url": "https://ftp.ncbi.nlm.nih.gov/pub/archive_dtd/publishing/"
                     "journal-publishing-dtd-3.0.zip",
      "info_url": "https://dtd.nlm.nih.gov/publishing/3.0/"}),
]  # fmt: skip
_HOMES = {"publishing": "publishing", "archiving": "archiving", "authoring": "articleauthoring"}
for sid, label, folder, entry, source in DTDS:
    _, version, tag_set = sid.split("-")
    if "info_url" not in source:
        source = {**source, "info_url": f"https://jats.nlm.nih.gov/{_HOMES[tag_set]}/{version}/"}
    SETS.append((sid, label, f"jats-dtd/{folder}", entry, "dtd", source))

# BITS 2.2 books: only xmlschema compiles it (libxml2 refuses its reference to the XSI
# namespace without an import; see ../shared/schemas/SOURCES.md, section 14)
SETS.append(
    (
        "bits-2.2",
        "BITS 2.2 Book Interchange (MathML 3)",
        "bits/2.2",
        "BITS-book2-2.xsd",
        "1.0",
        {"info_url": "https://jats.nlm.nih.gov/extensions/bits/2.2/", "libxml2": False},
    )
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_files(base: Path, dtd: bool) -> dict[str, str]:
    """A DTD package is every file of it; an XSD folder, its .xsd files."""
    return {
        f.relative_to(base).as_posix(): sha256(f)
        for f in sorted(base.rglob("*" if dtd else "*.xsd"))
        if f.is_file()
    }


def main(root: Path) -> dict[str, object]:
    folders: dict[str, dict[str, str]] = {}
    sets: dict[str, dict[str, Any]] = {}
    for sid, label, folder, entry, version, source in SETS:
        dtd = version == "dtd"
        base = root / folder
        if not (base / entry).is_file():
            raise SystemExit(f"{base / entry}: not found; every set's files must be at hand")
        if folder not in folders:
            folders[folder] = folder_files(base, dtd)
        sets[sid] = {
            "label": label,
            "dir": folder,
            "entry": entry,
            "format": "dtd" if dtd else "xsd",
            "xsd_version": "" if dtd else version,
            **source,
            "catalog": CATALOG if sid.startswith(("crossref", "doi-resources", "grant-id")) else {},
        }
    return {"manifest_version": 2, "folders": folders, "sets": sets}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1, ensure_ascii=False))
