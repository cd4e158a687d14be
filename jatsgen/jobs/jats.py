"""The `jatsgen jats` job as a library call: read inputs, write validated JATS files."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, Diagnostics
from ..errors import InputError
from ..model import Article
from ..output import NameAllocator, atomic_write
from ..readers import read
from ..validation import SchemaLocator, ValidateOptions, Validator
from ..writers.jats import JatsOptions, to_jats


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
) -> list[Outcome]:
    """Convert every input; each output is validated (when `locator` is given) before it is
    written, so an invalid file never lands in `outdir`. One bad input does not stop the rest.
    """
    options = options or JatsOptions()
    # The reader already reported citations without a reference; don't say it twice.
    validator = (
        Validator(ValidateOptions(ignore=frozenset({"jats.cited-present"})), locator=locator)
        if locator is not None
        else None
    )
    out = Path(outdir)
    names = NameAllocator()
    outcomes = []
    for path in inputs:
        outcome = Outcome(str(path))
        try:
            result = read(path, fmt)
            outcome.diagnostics += list(result.diagnostics)
            for i, article in enumerate(result.articles):
                diags = Diagnostics(str(path))
                xml = to_jats(article, options, diags)
                outcome.diagnostics += list(diags)
                stem = _safe_stem(_stem(str(path), article, i, len(result.articles)))
                name = names.take(stem)
                if validator is not None:
                    report = validator.validate_bytes(xml, str(out / name), options.schema_id)
                    if not report.ok:
                        outcome.diagnostics += report.diagnostics
                        outcome.diagnostics.append(
                            Diagnostic(
                                "error",
                                f"not written: the generated JATS for article {i + 1} is "
                                "not valid against the official schema (details above)",
                                str(path),
                                article.source.line if article.source else None,
                                None,
                                None,
                                "output.invalid",
                            )
                        )
                        continue
                atomic_write(out / name, xml)
                outcome.outputs.append(out / name)
        except InputError as exc:
            outcome.diagnostics += exc.diagnostics
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _stem(path: str, article: Article, index: int, count: int) -> str:
    stem = Path(path).stem
    if count == 1:
        return stem
    return f"{stem}-{article.id}" if article.id else f"{stem}-{index + 1:03d}"


def _safe_stem(stem: str) -> str:
    return re.sub(r"[^\w.-]+", "_", stem).strip("._") or "article"
