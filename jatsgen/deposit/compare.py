"""Each DOI against what the ledger says its endpoint was sent and registered: new, updated,
unchanged or pending, and, for people, what changed.

What decides is the DOI's canonical form (`registration.canonical_form`): the XML the
deposit registers for it. Unchanged means that XML is the one the registry last registered;
anything else is sent. The registry's word counts, not ours: a DOI whose last sending was
refused, or interrupted before any answer, is sent again, one still awaiting the registry's
answer is pending (never unchanged), and a DOI recorded before canonical forms existed is
judged by its fields where they show a change and otherwise sent once, never skipped on a
guess. The field-by-field
diff is for the preview and the dry run; where it shows nothing, the XML's own paths do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..registration import Change, Registered, changes, unpack, xml_changes
from .ledger import Held, History

NEW, UPDATED, UNCHANGED, PENDING = "new", "updated", "unchanged", "pending"


@dataclass
class DoiPlan:
    record: Registered
    status: str  # new | updated | unchanged | pending
    changes: list[Change] = field(default_factory=list)
    note: str = ""  # why, where the status alone does not say (refused before, pending, ...)
    moved_from: str | None = None  # the work the DOI was registered for, when it is another

    @property
    def doi(self) -> str:
        return self.record.doi

    def moved(self, path: str | None) -> Diagnostic | None:
        """The finding that this DOI would move to another work (`deposit.doi-moved`), for
        the deposit that refuses the file and for the preview that shows why."""
        if self.moved_from is None:
            return None
        return Diagnostic(
            "error",
            f"{self.doi} was registered for {self.moved_from}; this file would put it on "
            f"{describe(self.record.flat())}. If that is meant, deposit with --reassign "
            f"{self.doi}; otherwise give this work a DOI of its own",
            path,
            self.record.line,
            None,
            "doi_data/doi",
            "deposit.doi-moved",
        )


def judge(
    records: Iterable[Registered],
    history: Mapping[str, History],
    reassign: frozenset[str] = frozenset(),
) -> list[DoiPlan]:
    """Each record's status against its history at the endpoint (keys in lower case).
    `reassign`: DOIs (lower case) the user said may now name another work."""
    out = []
    for record in records:
        plan = _judge(record, history.get(record.doi.lower()))
        if plan.status != UNCHANGED and record.doi.lower() not in reassign:
            before = history.get(record.doi.lower())
            if before is not None and before.registered is not None:
                was = before.registered.fields
                if moves(was, record.flat(), record.doi):
                    plan.moved_from = describe(was)
        out.append(plan)
    return out


def _judge(record: Registered, history: History | None) -> DoiPlan:
    if history is None:
        return DoiPlan(record, NEW)
    latest, registered = history.latest, history.registered
    if latest.result == "pending":
        if _same(latest, record):
            return DoiPlan(
                record,
                PENDING,
                note=f"the registry has not yet answered about its last deposit "
                f"({latest.upload_name}): run `jatsgen status`, then deposit again",
            )
        return DoiPlan(record, UPDATED, _changes(registered or latest, record))
    if latest.result == "unknown":  # an upload interrupted before the registry answered
        return DoiPlan(
            record,
            UPDATED if registered is not None else NEW,
            _changes(registered, record) if registered is not None else [],
            note=f"its last upload here ({latest.upload_name}) was interrupted before the "
            "registry answered: sent again",
        )
    if latest.result == "failure":
        why = (latest.message or "refused").splitlines()[0][:200]
        return DoiPlan(
            record,
            UPDATED if registered is not None else NEW,
            _changes(registered, record) if registered is not None else [],
            note=f"its last deposit here was refused ({why}): sent again",
        )
    if _same(latest, record):
        return DoiPlan(record, UNCHANGED)
    plan = DoiPlan(record, UPDATED, _changes(latest, record))
    if latest.canonical is None:
        plan.note = "recorded by a jatsgen that kept only a summary of each deposit" + (
            ", which shows no change: sent once to be sure"
            if not plan.changes
            else "; judged by it"
        )
    return plan


def _same(held: Held, record: Registered) -> bool:
    """The same registration, by canonical form; a DOI recorded without one is never the
    same (its summary cannot prove it)."""
    return held.canonical is not None and held.canonical == record.canonical


def _changes(before: Held, record: Registered) -> list[Change]:
    """What changed, field by field; where the fields show nothing, the XML's paths."""
    found = changes(before.fields, record.flat())
    if not found and before.canonical is not None and before.canonical != record.canonical:
        found = xml_changes(unpack(before.canonical_xml), record.canonical_xml)
    return found


def moves(before: Mapping[str, str], now: Mapping[str, str], doi: str) -> bool:
    """Whether a record names another work than the one its DOI was registered for: the
    title, the authors and the landing page all differ (any one in common: the same work,
    corrected). A landing page made from the DOI (it holds the DOI's suffix) names the DOI,
    not the work, and is no sign either way."""
    if _norm(before.get("Title", "")) == _norm(now.get("Title", "")):
        return False
    page = _norm(now.get("Landing page", ""))
    suffix = _norm(doi.split("/", 1)[-1])
    if page == _norm(before.get("Landing page", "")) and suffix not in page:
        return False
    was, are = _people(before), _people(now)
    return not (was & are) and bool(was or are)


def describe(fields: Mapping[str, str]) -> str:
    """A work as a person knows it: title, authors, landing page."""
    names = ", ".join(sorted(_people(fields))[:3]) or "no authors"
    return f"{fields.get('Title', '')!r} by {names} ({fields.get('Landing page', '')})"


def _people(fields: Mapping[str, str]) -> set[str]:
    """The names of a flat record's contributors ("Name (role; ...)")."""
    return {
        _norm(value.split(" (", 1)[0])
        for key, value in fields.items()
        if key == "Contributor" or key.startswith("Contributor ")
    } - {""}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()
