"""Serialized works into batch files: one per body kind and DOI prefix, under the record and
byte limits, each opened with its container's metadata."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..diagnostics import Diagnostic
from ..errors import InputError, JatsgenError
from ..model import ArticleKind, Book, Journal, Source
from ..writers.crossref import CrossrefWriter, container_key, fragment_bytes, namespace_declarations
from .prepare import PreparedWork, Written
from .timestamps import TimestampClock


@dataclass
class BatchFile:
    path: Path
    batch_id: str
    timestamp: int
    dois: list[str]
    size: int


@dataclass
class _Group:
    """One container element (conference, journal or book) inside a batch."""

    tag: str
    attrs: bytes
    head: bytes
    works: list[tuple[int, int]] = field(default_factory=list)  # (offset, length) in the spill
    bare: bool = False  # posted_content: works go straight into the body, no wrapper

    @property
    def overhead(self) -> int:
        return 0 if self.bare else len(self.head) + len(self.attrs) + 2 * len(self.tag) + 16


@dataclass
class _Head:
    written: Written
    replayed: bool = False


@dataclass
class _OpenBatch:
    """Works waiting for one batch file: one body kind, one DOI prefix. Their bytes wait in
    a spill file, not in memory: a run keeps one open batch per kind and prefix, each up to
    the byte limit, which with many prefixes would be most of a run's memory."""

    spill: IO[bytes]
    groups: dict[tuple[object, ...], _Group] = field(default_factory=dict)
    dois: list[str] = field(default_factory=list)
    size: int = 0

    def keep(self, data: bytes) -> tuple[int, int]:
        offset = self.spill.seek(0, 2)
        self.spill.write(data)
        return offset, len(data)

    def read(self, place: tuple[int, int]) -> bytes:
        self.spill.seek(place[0])
        return self.spill.read(place[1])


class BatchAssembler:
    """Collects serialized works into batch files under the record and byte limits.

    A Crossref body holds one content type, and a file must use one DOI prefix, so works are
    kept in one open batch per (conference|journal|book, prefix); each is written out when
    the next work would break a limit, and at `close`.
    """

    def __init__(
        self,
        writer: CrossrefWriter,
        clock: TimestampClock,
        folder: Path,
        max_records: int,
        max_bytes: int,
    ) -> None:
        self.w = writer
        self.diags = writer.diags
        self.losses = writer.losses
        # container key -> its opening metadata, as written with the first work of the
        # container that got a DOI (see `offer_head`)
        self.heads: dict[tuple[object, ...], _Head] = {}
        self.clock = clock
        self.folder = folder
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.decl = namespace_declarations(writer.nsmap)
        self.open: dict[tuple[str, str], _OpenBatch] = {}
        self.files: list[BatchFile] = []
        spec = writer.spec
        self.open_tag = (
            f'<doi_batch{self.decl.decode()} version="{spec.version}" xsi:schemaLocation='
            f'"{spec.namespace} https://www.crossref.org/schemas/crossref{spec.version}.xsd">\n'
        ).encode()
        sample = self._head(f"jatsgen-{'9' * clock.digits}", int("9" * clock.digits))
        self.envelope = (
            len(b'<?xml version="1.0" encoding="UTF-8"?>\n')
            + len(self.open_tag)
            + len(sample)
            + len(b"  <body>\n  </body>\n</doi_batch>\n")
        )

    def _head(self, batch_id: str, timestamp: int) -> bytes:
        return b"  " + fragment_bytes(self.w.head(batch_id, timestamp), 1, self.decl) + b"\n"

    def add(self, work: PreparedWork) -> None:
        """Put a prepared work (its DOI claimed) into its batch, writing batches out as
        they fill."""
        data = work.work.data
        ckey = container_key(work.container)
        tag = self._tag(work)
        bkey = (tag, work.doi.split("/", 1)[0])
        batch = self._batch(bkey)
        group = batch.groups.get(ckey)
        if group is None:
            group = self._group(work, tag, ckey)
            cost = len(data) + group.overhead
        else:
            cost = len(data)
        alone = self.envelope + len(data) + group.overhead
        if alone > self.max_bytes:
            raise InputError(
                Diagnostic(
                    "error",
                    f"the work {work.doi} alone needs {alone} bytes, more than the batch "
                    f"limit of {self.max_bytes} (raise --max-bytes)",
                    None,
                    None,
                    None,
                    None,
                    "batch.too-large",
                )
            )
        if batch.dois and (
            len(batch.dois) + 1 > self.max_records
            or self.envelope + batch.size + cost > self.max_bytes
        ):
            self.flush(bkey)
            batch = self._batch(bkey)
            group = _Group(group.tag, group.attrs, group.head, bare=group.bare)
            cost = len(data) + group.overhead
        batch.groups.setdefault(ckey, group).works.append(batch.keep(data))
        batch.dois.append(work.doi)
        batch.size += cost

    def _batch(self, key: tuple[str, str]) -> _OpenBatch:
        batch = self.open.get(key)
        if batch is None:  # (an unnamed file in the run's private folder, gone when closed)
            spill = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115 (closed at flush)
            batch = self.open[key] = _OpenBatch(spill)
        return batch

    @staticmethod
    def _tag(work: PreparedWork) -> str:
        c = work.container
        if work.kind is ArticleKind.POSTED_CONTENT:
            return "posted_content"
        return (
            "journal"
            if isinstance(c, Journal)
            else "book"
            if isinstance(c, Book)
            else ("conference")
        )

    def _group(self, work: PreparedWork, tag: str, ckey: tuple[object, ...]) -> _Group:
        if tag == "posted_content":
            return _Group(tag, b"", b"", bare=True)  # preprints sit directly in the body
        if work.container is None:
            raise InputError(
                Diagnostic.at_source(
                    "error",
                    "the work has no container (proceedings, journal or book); Crossref "
                    f"deposits need one: {_container_hint(work.source)}",
                    work.source,
                    "batch.no-container",
                )
            )
        head = self.heads.get(ckey)
        if head is None:
            raise JatsgenError(f"internal: no container metadata for the work {work.doi}")
        if not head.replayed:
            head.replayed = True
            self.replay(head.written)  # what writing it lost or warned about, said once
        if head.written.errors:
            raise InputError(head.written.errors)
        attrs = b' book_type="edited_book"' if tag == "book" else b""
        return _Group(tag, attrs, head.written.data)

    def offer_head(self, work: PreparedWork) -> None:
        """Keep the container metadata a prepared work carries, unless its container already
        has metadata that could be written.

        `prepare` writes it with the first work of a container in each input that gets a
        DOI, and again with the next ones while it fails (the container's date may come
        from the first work), so every work that needs it finds it here, whatever happened
        to the works before it.
        """
        if work.head is None:
            return
        key = container_key(work.container)
        held = self.heads.get(key)
        if held is None or held.written.errors:
            self.heads[key] = _Head(work.head)

    def replay(self, written: Written) -> None:
        """Keep what the writer reported for something this run accepts."""
        for code, message, where in written.losses:
            self.losses.add(code, message, where)
        for d in written.warnings:
            self.diags.add(d)

    def close(self) -> None:
        keys = [k for k in sorted(self.open) if self.open[k].dois]
        stamps = self.clock.issue_many(len(keys)) if keys else []
        for key, stamp in zip(keys, stamps, strict=True):
            self.flush(key, stamp)

    def flush(self, key: tuple[str, str], timestamp: int | None = None) -> None:
        batch = self.open.pop(key, None)
        if batch is None or not batch.dois:
            if batch is not None:
                batch.spill.close()
            return
        if timestamp is None:
            timestamp = self.clock.issue()
        batch_id = f"jatsgen-{timestamp}"
        path = self.folder / f"{batch_id}.xml"
        with open(path, "wb") as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write(self.open_tag)
            fh.write(self._head(batch_id, timestamp))
            fh.write(b"  <body>\n")
            for g in batch.groups.values():
                if not g.bare:
                    fh.write(f"    <{g.tag}".encode() + g.attrs + b">\n")
                    fh.write(g.head)
                for place in g.works:
                    fh.write(batch.read(place))
                if not g.bare:
                    fh.write(f"    </{g.tag}>\n".encode())
            fh.write(b"  </body>\n</doi_batch>\n")
            size = fh.tell()
        batch.spill.close()
        self.files.append(BatchFile(path, batch_id, timestamp, list(batch.dois), size))


def _container_hint(source: Source | None) -> str:
    """Where a work's container is given, in the form it came in."""
    if source is not None and Path(source.path).suffix.lower() in (".xml", ".nxml"):
        return (
            "add <journal-meta> to the JATS's <front> (<journal-title-group><journal-title>, "
            "<issn>, <publisher><publisher-name>)"
        )
    return "give container in the record (a sheet: container columns or [container] in the config)"
