"""The `jatsgen jats` job as a library call: read inputs, write validated JATS files."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..config import DepositConfig
from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError, JatsgenError
from ..model import Article
from ..output import NameAllocator, atomic_write
from ..readers import read
from ..safexml import parse_bytes
from ..validation import SchemaLocator, ValidateOptions, Validator
from ..writers.jats import JatsOptions, to_jats
from ..writers.upgrade import customizable_values, upgrade
from .checks import work_problems, work_warnings
from .dois import DoiMemory, DoiPlanner
from .timestamps import state_dir

Values = dict[tuple[str, str], frozenset[str]]  # (tag, attribute) -> the values the target allows


@dataclass
class Outcome:
    """What happened to one input file."""

    input: str
    outputs: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


def convert_to_jats(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    options: JatsOptions | None = None,
    locator: SchemaLocator | None = None,
    fmt: str | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    config: DepositConfig | None = None,
) -> list[Outcome]:
    """Convert every input; each output is validated (when `locator` is given) before it is
    written, so an invalid file never lands in `outdir`. One bad input does not stop the rest.

    A JATS input keeps its article: body, back matter, floats and sub-articles as typeset,
    upgraded to the target version (`writers.upgrade`). With `config`, an article without a
    DOI or landing page gets them from its patterns, as `crossref` would make them.
    """
    options = options or JatsOptions()
    # The reader already reported citations without a reference, and the job a paper
    # without pages; don't say it twice.
    validator = (
        Validator(
            ValidateOptions(ignore=frozenset({"jats.cited-present", "pages.missing"})),
            locator=locator,
        )
        if locator is not None
        else None
    )
    job = _Job(options, Path(outdir), validator, config, _values(locator, options))
    outcomes = []
    for path in inputs:
        outcome = Outcome(str(path))
        try:
            result = read(path, fmt)
            outcome.diagnostics += list(result.diagnostics)
            for i, article in enumerate(result.articles):
                job.write(str(path), article, i, len(result.articles), outcome)
        except InputError as exc:
            outcome.diagnostics += exc.diagnostics
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _values(locator: SchemaLocator | None, options: JatsOptions) -> Values:
    """The target's allowed values of the attributes 1.3 made customizable (from its XSD)."""
    try:
        resolved = (locator or SchemaLocator()).find(options.schema_id)
    except JatsgenError:
        return {}  # no schema to read them from: values are kept as they are
    return customizable_values(resolved.entry_path)


@dataclass
class _Job:
    options: JatsOptions
    out: Path
    validator: Validator | None
    config: DepositConfig | None
    values: Values
    names: NameAllocator = field(default_factory=NameAllocator)

    def write(self, path: str, article: Article, i: int, count: int, outcome: Outcome) -> None:
        """One article as a validated JATS file (or the located reasons it is not one)."""
        diags = Diagnostics(path)
        outcome.diagnostics += work_warnings(article)
        if self.config is not None and not _identified(article, self.config, i, outcome):
            return
        if article.original is None and (problems := work_problems(article)):
            outcome.diagnostics += problems  # at their source: the volume's said once
            return
        if article.original is not None and (old := _before_nlm3(path, article.original)):
            outcome.diagnostics.append(
                Diagnostic.at_source(
                    "error",
                    f"this is NLM {old}, which jatsgen does not upgrade to JATS (it upgrades "
                    "NLM 3.0 and JATS 1.0-1.4): convert it to NLM 3.0 first (NLM's 2.3-to-3.0 "
                    "XSLT), or make its deposit with `jatsgen crossref`, which reads it",
                    article.source,
                    "jats.unsupported-version",
                )
            )
            return
        if article.original is not None:
            xml = upgrade(article, article.original, self.options, diags, self.values)
        else:
            xml = to_jats(article, self.options, diags)
        outcome.diagnostics += list(diags)
        name = self.names.take(_safe_stem(_stem(path, article, i, count)))
        if self.validator is not None:
            report = self.validator.validate_bytes(
                xml, str(self.out / name), self.options.schema_id
            )
            findings = list(report.diagnostics)
            if article.original is not None:
                findings = [_as_typeset(d) for d in findings]
            refused = any(d.severity == "error" for d in findings)
            if refused:  # the file is not written: say where in the input, not in it
                findings = _at_input(findings, article, path)
            outcome.diagnostics += findings
            if refused:
                what = "upgraded" if article.original is not None else "generated"
                outcome.diagnostics.append(
                    Diagnostic(
                        "error",
                        f"not written: the {what} JATS for article {i + 1} is not valid against "
                        "the official schema (details above)",
                        path,
                        article.source.line if article.source else None,
                        None,
                        None,
                        "output.invalid",
                    )
                )
                return
        try:
            atomic_write(self.out / name, xml)
        except OSError as exc:  # a full disk, a read-only folder: this file, not the run
            outcome.diagnostics.append(
                Diagnostic(
                    "error",
                    f"not written: {self.out / name}: {exc.strerror or exc}",
                    path,
                    article.source.line if article.source else None,
                    None,
                    None,
                    "output.write",
                )
            )
            return
        outcome.outputs.append(self.out / name)


def _at_input(findings: list[Diagnostic], article: Article, path: str) -> list[Diagnostic]:
    """Findings on a JATS file that will not be written, located in its input: for an
    upgraded file, at the input's own element on the same path (or its nearest ancestor
    there); for one made from a record, at the record. The path in the output stays."""
    tree = None
    if article.original is not None:
        try:
            tree = parse_bytes(article.original, path)
        except JatsgenError:
            tree = None
    record = article.source.line if article.source else None
    row = article.source.row if article.source and tree is None else None  # (a sheet's)
    out = []
    for d in findings:
        line = _line_of(tree, d.field) if tree is not None and d.field else None
        message = d.message if tree is not None else f"in the JATS made from it: {d.message}"
        hint = next((hint for said, hint in _WHAT_TO_ADD if said in d.message), "")
        message = message.rstrip(".") + hint if hint else message
        out.append(dataclasses.replace(d, file=path, line=line or record, column=None,
                                       message=message, row=row))  # fmt: skip
    return out


# What to add when the schema misses an element a JATS input often lacks
_WHAT_TO_ADD = (
    ("Tag 'journal-meta' expected", ": the input has no <journal-meta>; add one at the start "
     "of <front> with the journal's <journal-id>, <journal-title-group><journal-title>, "
     "<issn> and <publisher><publisher-name>"),
    ("Tag 'issn' expected", ": JATS Publishing needs the journal's ISSN; add "
     "<issn pub-type=\"epub\">NNNN-NNNN</issn> to <journal-meta>, after its titles"),
)  # fmt: skip


def _line_of(tree: etree._ElementTree, xpath: str) -> int | None:
    steps = xpath.split("/")
    while len(steps) > 1:
        try:
            found = tree.xpath("/".join(steps))
        except etree.XPathError:  # a prefixed step (mml:math): its ancestor will do
            found = None
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            line: int | None = found[0].sourceline
            return line
        steps.pop()
    return None


def _as_typeset(d: Diagnostic) -> Diagnostic:
    """A business-rule error in an upgraded article is the typesetter's choice, kept as it
    was (a warning); only the official schema's judgement stops the file."""
    if d.severity != "error" or d.code in ("xsd", "dtd"):
        return d
    return dataclasses.replace(d, severity="warning")


def _identified(article: Article, config: DepositConfig, i: int, outcome: Outcome) -> bool:
    """The article's DOI and landing page, made from the config's patterns where it has
    none (a DOI `crossref` gave the work before is kept); False (and the reason, located)
    when they cannot be made."""
    memory = DoiMemory(state_dir(config.state_dir), record=False)
    planner = DoiPlanner(config, any_prefix=bool(article.doi), memory=memory)
    try:
        work = planner.make(article, i + 1)
    except InputError as exc:
        outcome.diagnostics += exc.diagnostics
        return False
    finally:
        outcome.diagnostics += planner.notes
    article.doi, article.url = work.doi, work.resource
    return True


def _stem(path: str, article: Article, index: int, count: int) -> str:
    stem = Path(path).stem
    if count == 1:
        return stem
    return f"{stem}-{article.id}" if article.id else f"{stem}-{index + 1:03d}"


MAX_STEM = 100  # characters of a file name taken from the input (file systems allow 255 bytes)


def _safe_stem(stem: str) -> str:
    """A file name from an input's name and article id: safe characters, and short (a long
    id keeps its start and a digest of the whole, so names stay distinct)."""
    safe = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "article"
    if len(safe.encode("utf-8")) <= MAX_STEM:
        return safe
    digest = hashlib.sha256(safe.encode("utf-8")).hexdigest()[:10]
    head = safe.encode("utf-8")[: MAX_STEM - 11].decode("utf-8", "ignore")
    return f"{head}-{digest}"


_NLM2_PUBLIC = re.compile(rb"-//NLM//DTD [^\"]*?v(2\.\d+)")
_NLM2_VERSION = re.compile(rb"^<article\b[^>]*?\bdtd-version=[\"'](2\.\d+)", re.M)


def _before_nlm3(path: str, original: bytes) -> str | None:
    """The NLM 2.x version an input declares (DOCTYPE or dtd-version), if it is one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        head = b""
    found = _NLM2_PUBLIC.search(head) or _NLM2_VERSION.search(original.lstrip()[:2000])
    return found.group(1).decode() if found else None
