"""Official schemas compiled into validators, and the errors they find.

Two engines validate XSD 1.0 files: libxml2 (lxml) is the fastest per file but takes ~2 s to
compile a schema and cannot be cached; xmlschema's compiled schema is pickled to disk, keyed by
the schema files' sha256, and loads in a fraction of that, so a run over a handful of files
uses it and a run over many uses lxml. Crossref 5.5.0 is XSD 1.1 and always uses xmlschema.
Compiling never touches the network: the few remote W3C locations the official files import
are mapped to local copies through the manifest's catalog.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import sys
from functools import cache
from types import MappingProxyType
from typing import Any

from lxml import etree

from ..diagnostics import Diagnostic
from ..errors import JatsgenError
from .schemas import ResolvedSchema, SchemaLocator, cache_dir


class _CatalogResolver(etree.Resolver):  # type: ignore[misc]
    def __init__(self, mapping: dict[str, str]) -> None:
        super().__init__()
        self.mapping = mapping

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        target = self.mapping.get(system_url)
        if target is not None:
            return self.resolve_filename(target, context)
        return None


def _catalog(resolved: ResolvedSchema) -> dict[str, str]:
    return {
        url: (resolved.base / rel).resolve().as_uri() for url, rel in resolved.set.catalog.items()
    }


def schema_parser(resolved: ResolvedSchema | None = None) -> etree.XMLParser:
    """The parser for our own schema files: local files only, catalog-mapped imports."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    if resolved is not None:
        parser.resolvers.add(_CatalogResolver(_catalog(resolved)))
    return parser


@cache
def compile_lxml(resolved: ResolvedSchema) -> etree.XMLSchema:
    """An lxml (libxml2) schema: fast validation, XSD 1.0 only."""
    if resolved.set.xsd_version != "1.0":
        raise JatsgenError(
            f"{resolved.set.label} is an XSD {resolved.set.xsd_version} schema; "
            "libxml2 cannot load it (use the xmlschema validator)"
        )
    try:
        doc = etree.parse(str(resolved.entry_path), schema_parser(resolved))
        return etree.XMLSchema(doc)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise JatsgenError(f"cannot compile {resolved.entry_path}: {exc}") from None


class UriMap(dict[str, str]):
    """Remote schema location -> local file URI; picklable, so compiled schemas can be cached."""

    def __call__(self, url: str) -> str:
        return self.get(url, url)


@cache
def compile_xmlschema(resolved: ResolvedSchema) -> Any:
    """An xmlschema schema; the only way to load the XSD 1.1 Crossref 5.5.0 schema."""
    import xmlschema

    cls = xmlschema.XMLSchema11 if resolved.set.xsd_version == "1.1" else xmlschema.XMLSchema10
    mapping = _catalog(resolved)
    try:
        return cls(
            str(resolved.entry_path),
            allow="sandbox",
            uri_mapper=UriMap(mapping),
            use_fallback=False,
        )
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise JatsgenError(f"cannot compile {resolved.entry_path}: {exc}") from None


def _set_digest(resolved: ResolvedSchema) -> str:
    h = hashlib.sha256()
    for path in sorted(resolved.base.rglob("*.xsd")):
        h.update(path.relative_to(resolved.base).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@cache
def cached_xmlschema(resolved: ResolvedSchema) -> Any:
    """xmlschema's compiled schema, from a pickle on disk keyed by the files' sha256."""
    import xmlschema

    key = (
        f"{resolved.set.id}-{_set_digest(resolved)[:24]}-xs{xmlschema.__version__}-py"
        f"{sys.version_info.major}{sys.version_info.minor}"
    )
    store = cache_dir().parent / "compiled" / f"{key}.pickle"
    if store.is_file():
        try:
            with store.open("rb") as fh:
                gc.disable()  # the graph has ~10^6 objects; collecting during load doubles it
                try:
                    schema = pickle.load(fh)  # our own cache folder, written below
                finally:
                    gc.freeze()  # and later collections need not walk it again
                    gc.enable()
                return schema
        except Exception:
            store.unlink(missing_ok=True)
    schema = compile_xmlschema(resolved)
    # use_fallback=False leaves an (empty) mappingproxy on the loader, which pickle refuses;
    # an equal plain dict keeps the same behaviour.
    loader = getattr(getattr(schema, "maps", None), "loader", None)
    proxy = getattr(loader, "fallback_locations", None)
    if loader is not None and isinstance(proxy, MappingProxyType):
        loader.fallback_locations = dict(proxy)
    tmp = store.with_suffix(f".{os.getpid()}.tmp")
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as fh:
            pickle.dump(schema, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, store)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        tmp.unlink(missing_ok=True)  # caching is an optimisation
    return schema


def load_schema(schema_id: str, locator: SchemaLocator, engine: str = "lxml") -> Any:
    """The compiled schema set `engine` validates with: libxml2's for XSD 1.0 with "lxml",
    else xmlschema's (from its disk cache unless "fresh"). Compiled once per process."""
    resolved = locator.find(schema_id)
    if resolved.set.xsd_version == "1.0" and engine == "lxml":
        return compile_lxml(resolved)
    return cached_xmlschema(resolved) if engine != "fresh" else compile_xmlschema(resolved)


def xsd_errors(
    tree: etree._ElementTree,
    schema_id: str,
    locator: SchemaLocator,
    name: str,
    engine: str = "lxml",
) -> list[Diagnostic]:
    """Schema errors of a parsed document against one official schema set."""
    schema = load_schema(schema_id, locator, engine)
    if isinstance(schema, etree.XMLSchema):
        if schema.validate(tree):
            return []
        return [
            Diagnostic("error", _clean(e.message), name, e.line, e.column or None, None, "xsd")
            for e in schema.error_log
        ]
    import xmlschema

    out = []
    # The tree is already parsed (safely); the resource may not fetch anything else.
    resource = xmlschema.XMLResource(tree, allow="none")
    for err in schema.iter_errors(resource, use_location_hints=False):
        line = getattr(err.elem, "sourceline", None) if err.elem is not None else None
        out.append(Diagnostic("error", _clean(str(err.reason)), name, line, None, err.path, "xsd"))
    return out


def _clean(message: str) -> str:
    return re.sub(r"\{[^}]*\}", "", message).strip()
