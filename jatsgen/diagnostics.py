"""Located messages: what went wrong or looks doubtful, and exactly where.

Every stage reports through the same `Diagnostic`, so the CLI prints one format
(`file:line: field: severity: message`) and `--format json` can emit the same objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .model import Source

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)  # (a large run holds tens of thousands)
class Diagnostic:
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None  # a JSON path ($.articles[0].title) or a model/XML path
    code: str | None = None  # a stable id such as "page.author-spelling"
    row: int | None = None  # a sheet's row as a spreadsheet numbers it (header = 1)

    @classmethod
    def at_source(
        cls, severity: Severity, message: str, source: Source | None, code: str
    ) -> Diagnostic:
        """A message located where an article came from (file, line, record path)."""
        if source is None:
            return cls(severity, message, code=code)
        return cls(
            severity, message, source.path, source.line, None, source.pointer, code, source.row
        )

    @property
    def place(self) -> str:
        """Where, as a person looks it up: `file:line:column`, a sheet's `file: row N (line
        L)` (the row a spreadsheet shows), or "" when nothing locates it."""
        if not self.file:
            return ""
        if self.row is not None:
            also = f" (line {self.line})" if self.line not in (None, self.row) else ""
            return f"{self.file}: row {self.row}{also}"
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        where = f"{self.place}: " if self.file else ""
        fld = f"{self.field}: " if self.field and self.field != "$" else ""  # ($: the whole file)
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{fld}{self.severity}{code}: {self.message}"

    def to_json(self, **extra: Any) -> dict[str, Any]:
        """The JSON Lines shape of a finding (`--format json`): type "finding", file, line,
        row (a sheet's), column, severity, rule, message and path, every key present (null
        when unknown)."""
        return {
            "type": "finding",
            "file": self.file,
            "line": self.line,
            "row": self.row,
            "column": self.column,
            "severity": self.severity,
            "rule": self.code,
            "message": self.message,
            "path": self.field,
            **extra,
        }


class Diagnostics:
    """An ordered collection that stages append to; de-duplicates identical messages."""

    def __init__(self, file: str | None = None) -> None:
        self.file = file
        self._items: list[Diagnostic] = []
        self._seen: set[Diagnostic] = set()

    def add(self, diag: Diagnostic) -> None:
        if diag not in self._seen:
            self._seen.add(diag)
            self._items.append(diag)

    def warn(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        code: str | None = None,
        file: str | None = None,
    ) -> None:
        self.add(Diagnostic("warning", message, file or self.file, line, None, field, code))

    def error(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        code: str | None = None,
        file: str | None = None,
    ) -> None:
        self.add(Diagnostic("error", message, file or self.file, line, None, field, code))

    def extend(self, items: list[Diagnostic] | Diagnostics) -> None:
        for d in items:
            self.add(d)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self._items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self._items if d.severity == "warning"]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def collapse(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Warnings with one cause said once: the same warning (file, rule, message) for many
    articles of one input becomes its first occurrence, with the count and the lines; so
    does an error said again at the same place (a volume's, a config pattern's), with how
    many works it was said for."""
    groups: dict[tuple[object, ...], list[Diagnostic]] = {}
    for d in diags:
        # an error is said once when it is the same statement at the same place (a
        # container's, a config pattern's); warnings of one cause also across lines
        key: tuple[object, ...] = (d.severity, d.file, d.code, d.message, d.field)
        if d.severity == "error":
            key += (d.line, d.column)
        groups.setdefault(key, []).append(d)
    out = []
    for group in groups.values():  # (in the order each was first said)
        first = group[0]
        if len(group) > 1 and (first.severity == "error" or len({d.line for d in group}) == 1):
            first = replace(first, message=f"{first.message} (for {len(group)} works)")
        elif len(group) > 1:
            rows = first.row is not None
            lines = sorted({n for d in group if (n := d.row if rows else d.line)})
            what = "rows" if rows else "lines"
            at = f": {what} {', '.join(map(str, lines[:5]))}{', ...' if len(lines) > 5 else ''}"
            first = replace(
                first, message=f"{first.message} ({len(group)} times{at if lines else ''})"
            )
        out.append(first)
    return out
