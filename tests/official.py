"""The official engines' own verdicts, for tests that hold jatsgen's to them: libxml2's
command-line tool (xmllint) with the schema or DTD a file declares, found offline through the
catalogs beside the official files.

For an XSD, xmllint reads the DTD the file's DOCTYPE names and expands the entities it
declares (--loaddtd --noent), as jatsgen does; for a DTD, it validates against the DTD the
DOCTYPE names (--valid), or, for a file without one, the set's own (--dtdvalid)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from conftest import SCHEMAS
from lxml import etree

from jatsgen.validation.schemas import SchemaLocator


def xmllint(path: Path | str, set_id: str) -> tuple[bool, str]:
    """(valid, what xmllint said) for one file against the official set `set_id`."""
    verdicts, said = xmllint_many(set_id, [Path(path)])
    return verdicts[Path(path)], said


def xmllint_many(set_id: str, files: list[Path]) -> tuple[dict[Path, bool], str]:
    """xmllint once over many files (an XSD is compiled once): each file's verdict, and all
    it said."""
    assert shutil.which("xmllint"), "xmllint (libxml2-utils) is needed; .ci/run installs it"
    resolved = SchemaLocator(SCHEMAS).find(set_id)
    env = {**os.environ, "XML_CATALOG_FILES": " ".join(catalogs(resolved.base))}
    if resolved.set.format == "xsd":
        said = _run(env, ["--loaddtd", "--noent", "--schema", str(resolved.entry_path)], files)
        return {f: f"{f} validates" in said for f in files}, said
    declared = [f for f in files if b"<!DOCTYPE" in f.read_bytes()[:4096]]
    bare = [f for f in files if f not in declared]
    said = _run(env, ["--valid"], declared) if declared else ""
    said += _run(env, ["--dtdvalid", str(resolved.entry_path)], bare) if bare else ""
    bad = {f for f in files if re.search(rf"^{re.escape(str(f))}:\d+: .*error", said, re.M)}
    return {f: f not in bad for f in files}, said


def catalogs(base: Path) -> list[str]:
    """The catalogs that find every official file offline: the set's own (the W3C modules
    of the Crossref schemas), every DTD package's, and one for the packages whose catalogs
    point at NLM's machines."""
    found = [str(p) for p in sorted((SCHEMAS / "jats-dtd").glob("*/catalog.xml"))]
    if (base / "catalog.xml").is_file():
        found.insert(0, str(base / "catalog.xml"))
    return [*found, str(_older_catalog())]


@cache
def _older_catalog() -> Path:
    """Each PUBLIC identifier of the DTD packages whose own catalogs set an xml:base on NLM's
    machines (publishing-1.0, -1.1, nlm-publishing-3.0: unchanged in ../shared, SOURCES.md
    section 15) to the file beside the catalog, as jatsgen reads them."""
    entries = []
    for name in ("publishing-1.0", "publishing-1.1", "nlm-publishing-3.0"):
        base = SCHEMAS / "jats-dtd" / name
        for catalog in sorted(base.glob("catalog*.xml")):
            root = etree.parse(str(catalog), etree.XMLParser(no_network=True)).getroot()
            for entry in root.iter("{*}public"):
                target = base / Path(entry.get("uri") or "").name
                if target.is_file():
                    entries.append(
                        f'<public publicId="{entry.get("publicId")}" uri="{target.as_uri()}"/>'
                    )
    path = Path(tempfile.mkdtemp(prefix="jatsgen-catalog-")) / "older-catalog.xml"
    path.write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog" prefer="public">'
        + "".join(entries)
        + "</catalog>",
        "utf-8",
    )
    return path


def _run(env: dict[str, str], args: list[str], files: list[Path]) -> str:
    done = subprocess.run(
        ["xmllint", "--noout", "--nonet", "--catalogs", *args, *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        errors="replace",
    )
    return done.stderr
