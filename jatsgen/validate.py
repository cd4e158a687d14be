"""Validation of XML files against the official schemas, with located messages.

The kind and version of a file come from its root element, namespace and version
attributes; the matching official XSD is found through `SchemaLocator`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .diagnostics import Diagnostic
from .errors import InputError, JatsgenError
from .safexml import parse_bytes, parse_file
from .schemas import SchemaLocator, compile_lxml, compile_xmlschema

CROSSREF_NS = re.compile(r"^http://www\.crossref\.org/schema/(\d+\.\d+\.\d+)$")


@dataclass
class FileReport:
    path: str
    schema_id: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def detect_schema(tree: etree._ElementTree) -> tuple[str | None, str]:
    """(schema set id, description) for a parsed document; id None when unknown."""
    root = tree.getroot()
    qn = etree.QName(root)
    if qn.localname == "doi_batch" and qn.namespace:
        m = CROSSREF_NS.match(qn.namespace)
        if m:
            return f"crossref-{m.group(1)}", f"Crossref deposit {m.group(1)}"
        return None, f"a doi_batch in an unknown namespace {qn.namespace}"
    if qn.localname == "article" and not qn.namespace:
        version = root.get("dtd-version") or "1.3"
        doctype = tree.docinfo.public_id or ""
        tag_set = "archiving" if "Archiving" in doctype else "publishing"
        return f"jats-{version}-{tag_set}", f"JATS {version} {tag_set.title()}"
    where = f"{{{qn.namespace}}}" if qn.namespace else ""
    return None, f"root element <{where}{qn.localname}> is not a JATS article or a Crossref deposit"


def xsd_errors(
    tree: etree._ElementTree, schema_id: str, locator: SchemaLocator, name: str
) -> list[Diagnostic]:
    """Schema errors of a parsed document against one official schema set."""
    resolved = locator.find(schema_id)
    if resolved.set.xsd_version == "1.0":
        schema = compile_lxml(resolved)
        if schema.validate(tree):
            return []
        return [
            Diagnostic("error", _clean_lxml(e.message), name, e.line, e.column, None, "xsd")
            for e in schema.error_log
        ]
    import xmlschema

    schema = compile_xmlschema(resolved)
    out = []
    # The tree is already parsed (safely); the resource may not fetch anything else.
    resource = xmlschema.XMLResource(tree, allow="none")
    for err in schema.iter_errors(resource, use_location_hints=False):
        line = getattr(err.elem, "sourceline", None) if err.elem is not None else None
        out.append(Diagnostic("error", f"{err.reason}", name, line, None, err.path, "xsd"))
    return out


def _clean_lxml(message: str) -> str:
    return re.sub(r"\{[^}]*\}", "", message)


def validate_bytes(
    data: bytes, locator: SchemaLocator, name: str = "<bytes>", schema_id: str | None = None
) -> FileReport:
    report = FileReport(name)
    try:
        tree = parse_bytes(data, name)
    except InputError as exc:
        report.diagnostics += exc.diagnostics
        return report
    return _validate_tree(tree, locator, report, schema_id)


def validate_file(
    path: str | Path, locator: SchemaLocator, schema_id: str | None = None
) -> FileReport:
    report = FileReport(str(path))
    try:
        tree = parse_file(path)
    except InputError as exc:
        report.diagnostics += exc.diagnostics
        return report
    return _validate_tree(tree, locator, report, schema_id)


def _validate_tree(
    tree: etree._ElementTree, locator: SchemaLocator, report: FileReport, schema_id: str | None
) -> FileReport:
    if schema_id is None:
        schema_id, what = detect_schema(tree)
        if schema_id is None:
            report.diagnostics.append(
                Diagnostic(
                    "error",
                    f"unknown kind of file: {what}",
                    report.path,
                    1,
                    None,
                    None,
                    "kind.unknown",
                )
            )
            return report
    report.schema_id = schema_id
    try:
        report.diagnostics += xsd_errors(tree, schema_id, locator, report.path)
    except JatsgenError as exc:
        report.diagnostics.append(
            Diagnostic("error", str(exc), report.path, None, None, None, "schema.missing")
        )
    return report
