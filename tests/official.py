"""The official engines' own verdicts, for tests that hold jatsgen's to them: libxml2's
command-line tool (xmllint) with the schema or DTD a file declares, found offline through the
catalogs beside the official files, and xmlschema for what libxml2 cannot load."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import SCHEMAS

from jatsgen.validation.engines import dtd_catalog
from jatsgen.validation.schemas import SchemaLocator


def xmllint(path: Path | str, set_id: str) -> tuple[bool, str]:
    """(valid, what xmllint said) for `path` against the official set `set_id`: --schema for
    an XSD set, the DTD its DOCTYPE names (through the folder's catalog) for a DTD set."""
    assert shutil.which("xmllint"), "xmllint (libxml2-utils) is needed; .ci/run installs it"
    resolved = SchemaLocator(SCHEMAS).find(set_id)
    env = {**os.environ}
    catalog = resolved.base / "catalog.xml"
    if catalog.is_file():
        env["XML_CATALOG_FILES"] = str(catalog)
    args = ["xmllint", "--noout", "--nonet", "--catalogs"]
    if resolved.set.format == "xsd":
        args += ["--schema", str(resolved.entry_path)]
    else:
        head = Path(path).read_bytes()[:4096]
        declared = b"<!DOCTYPE" in head and b"PUBLIC" in head
        if declared and catalog.is_file():
            args += ["--valid"]  # the DTD its DOCTYPE names, found by xmllint's own catalog
        else:
            from lxml import etree

            public = etree.parse(
                str(path), etree.XMLParser(load_dtd=False, no_network=True)
            ).docinfo.public_id
            dtd = dtd_catalog(resolved).get(public or "", resolved.entry_path)
            args += ["--dtdvalid", str(dtd)]
    done = subprocess.run([*args, str(path)], capture_output=True, text=True, env=env)
    return done.returncode == 0, done.stderr
