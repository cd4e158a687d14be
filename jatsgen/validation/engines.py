"""Official schemas compiled into validators, and the errors they find.

Two engines validate XSD 1.0 files: libxml2 (lxml) validates ~20x faster per byte but takes
~3 s to compile a schema and cannot be cached; xmlschema's compiled schema is pickled to disk,
keyed by the schema files' sha256 and the library versions, and loads in a fraction of a
second. Beside the pickle lies the schema's compact form (`compact`), which loads in
milliseconds without importing xmlschema and proves a valid document valid; what it does
not prove goes to xmlschema. So up to `XMLSCHEMA_BYTES` of XML the compact form (then
xmlschema) finishes first ("compact"), and beyond it libxml2 does. All report the same
findings at the same lines (`_as_libxml2_would`). Crossref 5.5.0 is XSD 1.1 and never uses
libxml2.
Compiling never touches the network: the few remote W3C locations the official files import
are mapped to local copies through the manifest's catalog.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import re
import sys
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lxml import etree

from ..diagnostics import Diagnostic
from ..errors import JatsgenError
from . import compact
from .infoset import UNMASKING, masked_spaces, without_comments
from .rules import NUMBER_DIGITS
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


def libxml2_loads(resolved: ResolvedSchema) -> bool:
    """Whether libxml2 compiles the set: XSD 1.0, and not one it refuses (BITS 2.2)."""
    return resolved.set.xsd_version == "1.0" and resolved.set.libxml2


@cache
def compile_lxml(resolved: ResolvedSchema) -> etree.XMLSchema:
    """An lxml (libxml2) schema: fast validation, XSD 1.0 only."""
    if not libxml2_loads(resolved):
        raise JatsgenError(
            f"{resolved.set.label} is a schema libxml2 cannot load (XSD "
            f"{resolved.set.xsd_version}); use the xmlschema validator"
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


def cache_file(resolved: ResolvedSchema) -> Path:
    """Where the compiled form of a schema set is kept: keyed by the sha256 of its files and
    the versions of Python, xmlschema, elementpath and jatsgen (whose URI map it holds), so
    a change to any is a new file."""
    from ..versions import __version__

    key = (
        f"{resolved.set.id}-{_set_digest(resolved)[:24]}-xs{_installed('xmlschema')}"
        f"-ep{_installed('elementpath')}-py{sys.version_info.major}{sys.version_info.minor}"
        f"-jg{__version__}"
    )
    return cache_dir().parent / "compiled" / f"{key}.pickle"


@cache
def _installed(package: str) -> str:
    """The installed version of a package, without importing it (a cold start would pay
    0.3 s to import xmlschema just to ask) or importlib.metadata (0.03 s): the name of its
    .dist-info folder beside it, where pip puts it; the metadata API otherwise."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        with contextlib.suppress(OSError):
            for entry in os.scandir(site):
                name = entry.name
                if name.startswith(f"{package}-") and name.endswith(".dist-info"):
                    return name[len(package) + 1 : -len(".dist-info")]
    from importlib.metadata import version

    return version(package)


def compact_file(resolved: ResolvedSchema) -> Path:
    """Where the compact form (see `compact`) of a schema set is kept, beside its pickle."""
    return cache_file(resolved).with_suffix(".compact")


ENV_SCHEMA_CACHE = "JATSGEN_SCHEMA_CACHE"  # "0" switches the compiled-schema cache off


@cache
def cached_xmlschema(resolved: ResolvedSchema, background: bool = True) -> Any:
    """xmlschema's compiled schema, from the disk cache when it holds one (a damaged file is
    removed and compiled again); compiled and stored otherwise.

    With `background` (on Linux), a detached process compiles and stores it while this one
    compiles for itself, so the first run costs no more than compiling: writing the cache
    takes a third as long again, and a fork after compiling would make this process pay
    for copying every page it touches afterwards.
    """
    if os.environ.get(ENV_SCHEMA_CACHE, "1") == "0":
        return compile_xmlschema(resolved)  # the cache switched off (to measure, to debug)
    store = cache_file(resolved)
    if store.is_file():
        try:
            with store.open("rb") as fh:
                gc.disable()  # the graph has ~10^5 objects; collecting during load doubles it
                try:
                    schema = pickle.load(fh)  # our own cache folder, written below
                finally:
                    gc.freeze()  # and later collections need not walk it again
                    gc.enable()
                _complete_cache(resolved, schema, background)
                return schema
        except Exception:
            store.unlink(missing_ok=True)
    if background and _detach():
        try:
            with contextlib.suppress(OSError):
                os.nice(10)  # the work someone waits for comes first
            schema = _picklable(compile_xmlschema(resolved))
            _store(schema, store)
            _store_compact(schema, compact_file(resolved))
        finally:
            os._exit(0)
    schema = _picklable(compile_xmlschema(resolved))
    if not background or not _detached_ok():
        _store(schema, store)
        _store_compact(schema, compact_file(resolved))
    return schema


_COMPACT: dict[ResolvedSchema, dict[str, Any]] = {}


def compact_form(resolved: ResolvedSchema) -> dict[str, Any] | None:
    """The compact form of a schema set from the disk cache (read once per process); None
    while the cache holds none (the next full load stores one) or is switched off."""
    form = _COMPACT.get(resolved)
    if form is None and os.environ.get(ENV_SCHEMA_CACHE, "1") != "0":
        form = compact.load(compact_file(resolved))
        if form is not None:
            _COMPACT[resolved] = form
    return form


def _store_compact(schema: Any, path: Path) -> None:
    """Build and store the compact form of a compiled schema (atomically, as `_store`)."""
    from .compact_build import build

    tmp = path.with_suffix(f".{os.getpid()}.compact.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        compact.save(build(schema), tmp)
        os.replace(tmp, path)
    except Exception:  # caching is an optimisation
        tmp.unlink(missing_ok=True)


def _complete_cache(resolved: ResolvedSchema, schema: Any, background: bool) -> None:
    """A cache whose compiled schema has no compact form beside it (filled before there was
    one, or its compact form was damaged or of another format) gets one; with
    `background`, built in a detached process where possible."""
    path = compact_file(resolved)
    if resolved in _COMPACT or compact.load(path) is not None:
        return  # (in _COMPACT: read already; the compact check sent the file here)
    if background and _detach():
        try:
            with contextlib.suppress(OSError):
                os.nice(10)
            _store_compact(schema, path)
        finally:
            os._exit(0)
    if not background or not _detached_ok():
        _store_compact(schema, path)


def fill_cache_later(resolved: ResolvedSchema) -> None:
    """Fill the cache (compiled and compact forms) in a detached process, where one can be
    started (Linux, one thread), while this one goes on; else leave it for a later load."""
    if os.environ.get(ENV_SCHEMA_CACHE, "1") == "0" or resolved in _FILLING:
        return
    _FILLING.add(resolved)
    if _detach():
        try:
            with contextlib.suppress(OSError):
                os.nice(10)
            fill_cache(resolved)
        finally:
            os._exit(0)


_FILLING: set[ResolvedSchema] = set()


def fill_cache(resolved: ResolvedSchema) -> Path:
    """Compile a schema set and store its compiled and compact forms now (`jatsgen schemas
    install` does, so the first validation after an install is as fast as any). Both are
    checked where the cache is now, whatever this process loaded before (from another cache
    folder, or while a detached process was still filling this one)."""
    schema = cached_xmlschema(resolved, background=False)
    store = cache_file(resolved)
    if os.environ.get(ENV_SCHEMA_CACHE, "1") != "0":
        if not store.is_file():
            _store(schema, store)
        if compact.load(compact_file(resolved)) is None:
            _store_compact(schema, compact_file(resolved))
    return store


def _picklable(schema: Any) -> Any:
    """use_fallback=False leaves an (empty) mappingproxy on xmlschema's loader, which pickle
    refuses; an equal plain dict keeps the same behaviour."""
    loader = getattr(getattr(schema, "maps", None), "loader", None)
    proxy = getattr(loader, "fallback_locations", None)
    if loader is not None and isinstance(proxy, MappingProxyType):
        loader.fallback_locations = dict(proxy)
    return schema


def _detached_ok() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _detach() -> bool:
    """Fork a detached grandchild (True in it) that can fill the cache while this process
    goes on; False in this process. Only on Linux, and only with no other thread running
    (a fork copies no thread, and a lock held by one would stay held); elsewhere the caller
    writes the cache itself."""
    if not _detached_ok():
        return False
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        if os.fork() != 0:
            os._exit(0)  # the middle process ends at once; the grandchild is reparented
        # hold none of this process's files: a pipe it writes to must close when it ends
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 1 << 16)
        return True
    os.waitpid(child, 0)
    return False


def _store(schema: Any, store: Path) -> None:
    """Pickle `schema` to `store` atomically (a temporary file, then a rename): two processes
    filling the cache at once each write a whole file, and the last rename wins."""
    tmp = store.with_suffix(f".{os.getpid()}.tmp")
    done: list[BaseException] = []

    def dump() -> None:
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                pickle.dump(schema, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, store)
        except BaseException as exc:  # caching is an optimisation
            done.append(exc)
            tmp.unlink(missing_ok=True)

    # The schema graph nests deeper than the default recursion limit allows the pickler;
    # a thread with a large stack may go deeper safely.
    limit = sys.getrecursionlimit()
    old_size = threading.stack_size(256 << 20)
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        worker = threading.Thread(target=dump, name="schema-cache")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(limit)


@cache
def dtd_catalog(resolved: ResolvedSchema) -> dict[str, Path]:
    """PUBLIC identifier -> DTD file of a DTD set, from the OASIS catalogs that come with the
    official package (their xml:base, an absolute path on NLM's machines, is ignored: each
    file is found beside its catalog)."""
    found: dict[str, Path] = {}
    for catalog in sorted(resolved.base.glob("catalog*.xml")):
        parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
        try:
            root = etree.parse(str(catalog), parser).getroot()
        except etree.XMLSyntaxError:
            continue
        for entry in root.iter("{*}public"):
            target = resolved.base / Path(entry.get("uri") or "").name
            public = entry.get("publicId")
            if public and target.suffix == ".dtd" and target.is_file():
                found.setdefault(public, target)
    return found


@cache
def compile_dtd(path: Path) -> etree.DTD:
    """An official DTD, loaded by libxml2 from its own folder (its modules are local files
    found by relative path; nothing is fetched). ~0.02 s: no cache needed."""
    try:
        return etree.DTD(str(path))
    except (etree.DTDParseError, OSError) as exc:
        raise JatsgenError(f"cannot load {path}: {exc}") from None


def dtd_for(resolved: ResolvedSchema, public_id: str | None) -> etree.DTD:
    """The DTD the document's PUBLIC identifier names in the set's catalog; the set's own
    DTD for a document without one (or with a draft's identifier the package lacks)."""
    path = dtd_catalog(resolved).get(public_id or "", resolved.entry_path)
    return compile_dtd(path)


def load_schema(schema_id: str, locator: SchemaLocator, engine: str = "lxml") -> Any:
    """The compiled schema set `engine` validates with: the DTD of a DTD set; libxml2's for
    XSD 1.0 with "lxml"; with "compact" the compact form when the cache holds one; else
    xmlschema's (from its disk cache unless "fresh"). Compiled once per process.

    "proven" is for files jatsgen wrote, which are almost always valid: the compact form
    (milliseconds to load, a few per batch to prove), and libxml2 compiled only for a file it
    does not prove (`xsd_errors`). Without a compact form in the cache yet, libxml2 now, and
    a detached process fills the cache for the next run."""
    resolved = locator.find(schema_id)
    if resolved.set.format == "dtd":
        return compile_dtd(resolved.entry_path)
    if engine == "proven":
        form = compact_form(resolved)
        if form is not None:
            return form
        if libxml2_loads(resolved):
            fill_cache_later(resolved)
            engine = "lxml"
        else:  # (xmlschema's load fills the cache itself)
            engine = "xmlschema"
    if engine == "lxml" and libxml2_loads(resolved):
        return compile_lxml(resolved)
    if engine in ("compact", "lxml"):  # (a set libxml2 cannot load: the compact form first)
        form = compact_form(resolved)
        if form is not None:
            return form
    return cached_xmlschema(resolved) if engine != "fresh" else compile_xmlschema(resolved)


# Cost model for choosing an engine (measured in bench/cold_start.py): libxml2 validates
# ~20x faster per byte, but compiling a schema costs seconds, while the compact form loads
# in milliseconds (xmlschema's pickle, for what it does not prove, in a fraction of a
# second). Up to this much XML, the compact form and xmlschema finish first.
XMLSCHEMA_BYTES = 512 * 1024


def engine_for(total_bytes: int) -> str:
    """The engine that finishes `total_bytes` of XML first, cold."""
    return "compact" if total_bytes <= XMLSCHEMA_BYTES else "lxml"


def xsd_errors(
    tree: etree._ElementTree,
    schema_id: str,
    locator: SchemaLocator,
    name: str,
    engine: str = "lxml",
) -> list[Diagnostic]:
    """Schema errors of a parsed document (its entities expanded: see `infoset`) against
    one official schema set.

    Every engine reports the same findings at the same lines: "compact" answers only
    "valid" (see `compact`), and hands whatever it does not prove to xmlschema, whose
    errors are located and pruned as libxml2 (xmllint) reports them (`_as_libxml2_would`)
    and completed where xmlschema is laxer than the specification (`compact.lexical_errors`).
    """
    schema = load_schema(schema_id, locator, engine)
    if isinstance(schema, dict):  # the compact form
        if compact.proves_valid(schema, tree):
            return []
        # not proven valid: the official engine judges; for the run's own (large) batches
        # libxml2, compiled once per process, where it loads the set
        lxml = engine == "proven" and libxml2_loads(locator.find(schema_id))
        schema = load_schema(schema_id, locator, "lxml" if lxml else "xmlschema")
    if isinstance(schema, etree.DTD):
        schema = dtd_for(locator.find(schema_id), tree.docinfo.public_id)
    if isinstance(schema, etree.XMLSchema | etree.DTD):
        try:
            if schema.validate(tree):
                return []
        except etree.XMLSchemaValidateError:  # libxml2 gave up on this tree: xmlschema judges
            return _xmlschema_errors(load_schema(schema_id, locator, "xmlschema"), tree,
                                     locator.find(schema_id), name)  # fmt: skip
        code = "dtd" if isinstance(schema, etree.DTD) else "xsd"
        return [
            Diagnostic("error", _clean(e.message), name, e.line, e.column or None, None, code)
            for e in schema.error_log
        ]
    return _xmlschema_errors(schema, tree, locator.find(schema_id), name)


def _xmlschema_errors(
    schema: Any, tree: etree._ElementTree, resolved: ResolvedSchema, name: str
) -> list[Diagnostic]:
    """xmlschema's findings, as libxml2 would report them, with the values the XSD
    specification refuses and xmlschema takes (`compact.lexical_errors`)."""
    import xmlschema

    judged = without_comments(tree)  # xmlschema refuses them in simple content; XSD does not
    # The tree is already parsed (safely); the resource may not fetch anything else.
    resource = xmlschema.XMLResource(masked_spaces(judged), allow="none")
    try:
        with _long_numbers():
            errors = list(schema.iter_errors(resource, use_location_hints=False))
    except Exception as exc:  # xmlschema raised where it should report (an xsi:type it
        # cannot resolve, ...): the file is not valid against the schema, say why and where
        root = judged.getroot()
        at = next((e for e in root.iter("{*}*", "*") if _XSI_TYPE in e.attrib), root)
        why = _clean(str(exc)).splitlines()[0][:300]
        return [
            Diagnostic("error", f"the schema cannot be applied to this file: {why}", name,
                       at.sourceline, None, None, "xsd")
        ]  # fmt: skip
    out = [
        Diagnostic("error", _clean(str(err.reason)).translate(UNMASKING), name, line, None,
                   err.path, "xsd")
        for err, line in _as_libxml2_would(errors)
    ]  # fmt: skip
    said = {d.line for d in out}
    form = compact_form(resolved) or _built(resolved, schema)
    for el, attr, value, type_name in compact.lexical_errors(form, judged) if form else ():
        if el.sourceline in said:
            continue
        odd = next(c for c in value if (not c.isascii() if type_name else c not in " \t\r\n"))
        what = f"attribute {etree.QName(attr).localname!r}" if attr else "the value"
        message = (
            f"{what} {value[:60]!r} is not a valid xs:{type_name}: XSD writes numbers, "
            f"dates and such in ASCII (digits 0-9, no {_char_name(odd)})"
            if type_name
            else f"{_char_name(odd)} between the elements of {etree.QName(el).localname}, "
            "whose content is elements only: XML's white space is space, tab, CR and LF"
        )
        out.append(
            Diagnostic(
                "error",
                message,
                name,
                el.sourceline,
                None,
                None,
                "xsd",
            )
        )
    return out


_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


_LONG_LOCK = threading.Lock()
_LONG_USERS = [0, 0]  # validations reading long numbers now; the limit before the first


@contextlib.contextmanager
def _long_numbers() -> Iterator[None]:
    """While xmlschema validates, int() reads up to NUMBER_DIGITS digits. xmlschema reads
    integers with int(), which refuses more than 4,300 digits by default (a guard against
    slow conversions); XSD's integers have no such limit, and a conversion of NUMBER_DIGITS
    stays under 0.1 s (the rule xml.number-too-long reports a longer number, whatever the
    engine). The process's own limit is back once no validation needs this one."""
    with _LONG_LOCK:
        if _LONG_USERS[0] == 0:
            _LONG_USERS[1] = sys.get_int_max_str_digits()
            if 0 < _LONG_USERS[1] < NUMBER_DIGITS:
                sys.set_int_max_str_digits(NUMBER_DIGITS)
        _LONG_USERS[0] += 1
    try:
        yield
    finally:
        with _LONG_LOCK:
            _LONG_USERS[0] -= 1
            if _LONG_USERS[0] == 0:
                sys.set_int_max_str_digits(_LONG_USERS[1])


def _built(resolved: ResolvedSchema, schema: Any) -> dict[str, Any] | None:
    """The compact form of a schema loaded a moment ago (the cache had none yet)."""
    from .compact_build import build

    try:
        form = build(schema)
    except Exception:
        return None
    _COMPACT[resolved] = form
    return form


def _char_name(c: str) -> str:
    import unicodedata

    return f"U+{ord(c):04X} {unicodedata.name(c, 'character')}"


def _as_libxml2_would(errors: list[Any]) -> Iterator[tuple[Any, int | None]]:
    """xmlschema's errors, each with the line libxml2 gives it, leaving out those libxml2
    does not report, so both engines give one verdict and one list of lines:

    - an unexpected child is reported at the child (xmlschema: at its parent), and libxml2
      validates neither it nor its following siblings, nor anything below them;
    - one content error per element, and one report of the same problem with a value;
    - an IDREF with no matching ID is not an XSD error for libxml2 (only DTD validation
      checks it); the rule jats.rid-resolves reports dangling rids instead.
    """
    from xmlschema.validators.exceptions import XMLSchemaChildrenValidationError

    skipped: set[etree._Element] = set()  # held, so lxml keeps one proxy per element
    for err in errors:
        child = getattr(err, "invalid_child", None)
        if isinstance(err, XMLSchemaChildrenValidationError) and child is not None:
            skipped.update([child, *child.itersiblings()])
    seen_content: set[etree._Element] = set()
    said: set[tuple[etree._Element | None, str]] = set()
    for err in errors:
        el: Any = err.elem  # an lxml element: the resource wraps our parsed tree
        if el is not None and any(a in skipped for a in (el, *el.iterancestors())):
            continue
        if isinstance(err, XMLSchemaChildrenValidationError):
            if el in seen_content:
                continue
            seen_content.add(el)
            child = err.invalid_child
            at: Any = child if child is not None else el
            yield err, at.sourceline
            continue
        reason = str(err.reason)
        if "IDREF" in reason and "not found" in reason:
            continue
        if (el, reason) in said:
            continue  # a value failing a facet of a type and of its base, said once
        said.add((el, reason))
        yield err, el.sourceline if el is not None else None


def _clean(message: str) -> str:
    return re.sub(r"\{[^}]*\}", "", message).strip()
