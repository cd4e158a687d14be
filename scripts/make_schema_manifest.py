"""Regenerate schemas/manifest.json from a folder of official schema files.

    python scripts/make_schema_manifest.py ../shared/schemas > schemas/manifest.json

Each schema set lists every file it needs with its sha256, the official URL it is published
at, and the remote schemaLocations that must be mapped to local files (a catalog), so the
official files are used unedited and validation never goes online.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

CROSSREF_BASE = "https://www.crossref.org/schemas/"
CATALOG = {
    "http://www.w3.org/Math/XMLSchema/mathml3/mathml3.xsd": "standard-modules/mathml3/mathml3.xsd",
    "http://www.w3.org/2009/01/xml.xsd": "standard-modules/xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "standard-modules/xml.xsd",
}

SETS = [
    # id, label, dir, entry, xsd version, official source
    (
        "crossref-5.3.0",
        "Crossref deposit 5.3.0",
        "crossref/5.3.1",
        "crossref5.3.0.xsd",
        "1.0",
        {"base_url": CROSSREF_BASE},
    ),
    (
        "crossref-5.3.1",
        "Crossref deposit 5.3.1",
        "crossref/5.3.1",
        "crossref5.3.1.xsd",
        "1.0",
        {"base_url": CROSSREF_BASE},
    ),
    (
        "crossref-5.4.0",
        "Crossref deposit 5.4.0",
        "crossref/5.4.0",
        "crossref5.4.0.xsd",
        "1.0",
        {"base_url": CROSSREF_BASE},
    ),
    (
        "crossref-5.5.0",
        "Crossref deposit 5.5.0",
        "crossref/5.5.0",
        "crossref5.5.0.xsd",
        "1.1",
        {"base_url": CROSSREF_BASE},
    ),
    (
        "jats-1.3-publishing",
        "JATS 1.3 Journal Publishing (MathML 3)",
        "jats/1.3/publishing",
        "JATS-journalpublishing1-3-mathml3.xsd",
        "1.0",
        {
            "archive_url": "https://ftp.ncbi.nlm.nih.gov/pub/jats/publishing/1.3/"
            "JATS-Publishing-1-3-MathML3-XSD.zip"
        },
    ),
    (
        "jats-1.4-publishing",
        "JATS 1.4 Journal Publishing (MathML 3)",
        "jats/1.4/publishing",
        "JATS-journalpublishing1-4-mathml3.xsd",
        "1.0",
        {
            "archive_url": "https://ftp.ncbi.nlm.nih.gov/pub/jats/publishing/1.4/xsd/"
            "JATS-Publishing-1-4-MathML3-XSD.zip"
        },
    ),
    (
        "jats-1.3-archiving",
        "JATS 1.3 Archiving and Interchange (MathML 3)",
        "jats/1.3/archiving",
        "JATS-archivearticle1-3-mathml3.xsd",
        "1.0",
        {
            "archive_url": "https://ftp.ncbi.nlm.nih.gov/pub/jats/archiving/1.3/xsd/"
            "JATS-Archiving-1-3-MathML3-XSD.zip"
        },
    ),
    (
        "jats-1.4-archiving",
        "JATS 1.4 Archiving and Interchange (MathML 3)",
        "jats/1.4/archiving",
        "JATS-archivearticle1-4-mathml3.xsd",
        "1.0",
        {
            "archive_url": "https://ftp.ncbi.nlm.nih.gov/pub/jats/archiving/1.4/xsd/"
            "JATS-Archiving-1-4-MathML3-XSD.zip"
        },
    ),
]

# The DTDs of the versions most real-world JATS declares (no XSD copy exists here): judged
# by DTD validation, the DTD found by the document's PUBLIC identifier through the OASIS
# catalog that comes with each package. Package URLs follow NLM's naming (see SOURCES §8).
JATS_FTP = "https://ftp.ncbi.nlm.nih.gov/pub/jats/publishing"
SETS += [
    (
        "jats-1.0-publishing",
        "JATS 1.0 Journal Publishing (DTD)",
        "jats-dtd/publishing-1.0",
        "JATS-journalpublishing1.dtd",
        "dtd",
        {
            "archive_url": f"{JATS_FTP}/1.0/jats-publishing-dtd-1.0.zip",
            "info_url": "https://jats.nlm.nih.gov/publishing/1.0/",
        },
    ),
    (
        "jats-1.1-publishing",
        "JATS 1.1 Journal Publishing (DTD)",
        "jats-dtd/publishing-1.1",
        "JATS-journalpublishing1.dtd",
        "dtd",
        {
            "archive_url": f"{JATS_FTP}/1.1/JATS-Publishing-1-1-MathML2-DTD.zip",
            "info_url": "https://jats.nlm.nih.gov/publishing/1.1/",
        },
    ),
    (
        "nlm-3.0-publishing",
        "NLM Journal Publishing 3.0 (DTD)",
        "jats-dtd/nlm-publishing-3.0",
        "journalpublishing3.dtd",
        "dtd",
        {
            "archive_url": "https://ftp.ncbi.nlm.nih.gov/pub/archive_dtd/publishing/"
            "journal-publishing-dtd-3.0.zip",
            "info_url": "https://dtd.nlm.nih.gov/publishing/3.0/",
        },
    ),
    (
        "nlm-2.3-publishing",
        "NLM Journal Publishing 2.3 (DTD)",
        "jats-dtd/nlm-publishing-2.3",
        "journalpublishing.dtd",
        "dtd",
        {"info_url": "https://dtd.nlm.nih.gov/publishing/2.3/"},
    ),
]

# Known by name and home page only (not in ../shared): `jatsgen validate` names them when a
# file needs one, and `jatsgen schemas install --from DIR` accepts a folder holding them.
for _v in ("1.0", "1.1", "1.2"):
    SETS += [
        (
            f"jats-{_v}-archiving",
            f"JATS {_v} Archiving and Interchange (MathML 3)",
            f"jats/{_v}/archiving",
            "JATS-archivearticle1-mathml3.xsd",
            "1.0",
            {"info_url": f"https://jats.nlm.nih.gov/archiving/{_v}/"},
        ),
    ]
SETS += [
    (
        "jats-1.2-publishing",
        "JATS 1.2 Journal Publishing (MathML 3)",
        "jats/1.2/publishing",
        "JATS-journalpublishing1-mathml3.xsd",
        "1.0",
        {"info_url": "https://jats.nlm.nih.gov/publishing/1.2/"},
    ),
    (
        "nlm-3.0-archiving",
        "NLM Journal Archiving and Interchange 3.0",
        "nlm/3.0/archiving",
        "archivearticle3.xsd",
        "1.0",
        {"info_url": "https://dtd.nlm.nih.gov/archiving/3.0/"},
    ),
    (
        "crossref-4.4.2",
        "Crossref deposit 4.4.2",
        "crossref/4.4.2",
        "crossref4.4.2.xsd",
        "1.0",
        {"info_url": "https://www.crossref.org/schemas/crossref4.4.2.xsd"},
    ),
    (
        "crossref-4.8.1",
        "Crossref deposit 4.8.1",
        "crossref/4.8.1",
        "crossref4.8.1.xsd",
        "1.0",
        {"info_url": "https://www.crossref.org/schemas/crossref4.8.1.xsd"},
    ),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(root: Path) -> dict[str, object]:
    sets = {}
    for sid, label, folder, entry, version, source in SETS:
        base = root / folder
        dtd = version == "dtd"
        files: dict[str, str | None] = {}
        if base.is_dir():  # a DTD set is every file of its package; an XSD set, its .xsd files
            for f in sorted(base.rglob("*" if dtd else "*.xsd")):
                if f.is_file():
                    files[f.relative_to(base).as_posix()] = sha256(f)
        else:
            files[entry] = None  # known by name and URL only; sha256 recorded on install
        sets[sid] = {
            "label": label,
            "dir": folder,
            "entry": entry,
            "format": "dtd" if dtd else "xsd",
            "xsd_version": "" if dtd else version,
            **source,
            "catalog": CATALOG if sid.startswith("crossref") else {},
            "files": files,
        }
    return {"manifest_version": 1, "sets": sets}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=2, ensure_ascii=False))
