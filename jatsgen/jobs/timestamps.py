"""Deposit timestamps that strictly increase, across batches and across runs.

The registry rejects a record whose timestamp is less than OR EQUAL to the one it holds, and
compares them as numbers, so a tool that changes the number of digits after a migration can
end up below its own earlier deposits. jatsgen writes a fixed number of digits (17 by default:
YYYYMMDDHHMMSS and a 3-digit counter), keeps the last value it issued in a state file, and
refuses to issue a value that is not larger than it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from ..errors import JatsgenError
from . import statefile

ENV_STATE = "JATSGEN_STATE_DIR"
MIN_DIGITS = 15
MAX_DIGITS = 19  # 2**63 - 1 has 19 digits: what SQLite (the ledger, the registry) stores


def _is_stamp(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def state_dir(configured: str | None = None) -> Path:
    if configured:
        return Path(configured).expanduser()
    if os.environ.get(ENV_STATE):
        return Path(os.environ[ENV_STATE])
    return Path(platformdirs.user_data_dir("jatsgen"))


class TimestampClock:
    """Issues timestamps of `digits` digits, each larger than every one issued before."""

    def __init__(
        self,
        directory: Path,
        digits: int = 17,
        pinned: int | None = None,
        now: dt.datetime | None = None,
        floor: int | None = None,
    ) -> None:
        """`floor`: the highest timestamp already deposited from here (the ledger's), so a
        lost state file cannot make timestamps the registry has already seen."""
        if not MIN_DIGITS <= digits <= MAX_DIGITS:
            raise JatsgenError(
                f"timestamps have {MIN_DIGITS} to {MAX_DIGITS} digits (14 for the date and "
                f"time; at most {MAX_DIGITS}, as the ledger and the registry store them), "
                f"not {digits}"
            )
        self.path = directory / "timestamps.json"
        self.digits = digits
        self.pinned = pinned
        self.now = now
        self.floor = floor

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, int]]:
        with statefile.locked(self.path):
            state = self._read()
            yield state
            statefile.write(self.path, state, indent=2)

    def _read(self) -> dict[str, int]:
        """The state file's content, checked: a damaged one is a one-line error."""
        fix = (
            "fix or remove it (then pass --timestamp larger than the last one deposited, or "
            "let the ledger's highest timestamp be the floor)"
        )
        if not self.path.is_file():
            return {}
        state = statefile.read(self.path, "timestamp state", fix)
        last = state.get("last") if isinstance(state, dict) else None
        if not isinstance(state, dict) or not (last is None or _is_stamp(last)):
            shown = json.dumps(state)[:60]
            raise JatsgenError(f"{self.path}: holds {shown}, not a timestamp state; {fix}")
        return state

    def today(self) -> dt.date:
        """The deposit date: from a pinned timestamp when there is one, else today in UTC."""
        if self.pinned is not None:
            digits = str(self.pinned)[:8]
            with contextlib.suppress(ValueError):
                return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        return (self.now or dt.datetime.now(dt.UTC)).date()

    def last(self) -> int | None:
        value = self._read().get("last")
        return int(value) if value is not None else None

    def issue(self) -> int:
        return self.issue_many(1)[0]

    def issue_many(self, count: int) -> list[int]:
        """`count` increasing timestamps, issued together (one read and write of the state):
        the same values `count` calls of `issue` would give."""
        with self._locked() as state:
            last = state.get("last")
            if self.floor is not None and (last is None or self.floor > last):
                last = self.floor  # the ledger saw a later deposit than the state file did
            if last is not None and len(str(last)) > self.digits:
                raise JatsgenError(
                    f"the last timestamp issued here ({last}) has {len(str(last))} digits but "
                    f"the config asks for {self.digits}; a shorter timestamp is a smaller number "
                    "and the registry would reject it. Set [crossref] timestamp_digits = "
                    f"{len(str(last))}."
                )
            values = []
            for _ in range(count):
                if self.pinned is not None:
                    value = self.pinned
                    self.pinned += 1
                    if len(str(value)) != self.digits or value >= 2**63:
                        raise JatsgenError(
                            f"--timestamp {value} must have {self.digits} digits and be below "
                            f"{2**63}"
                        )
                else:
                    now = self.now or dt.datetime.now(dt.UTC)
                    base = int(now.strftime("%Y%m%d%H%M%S")) * 10 ** (self.digits - 14)
                    value = max(base, (last or 0) + 1)
                    if value >= 2**63:
                        raise JatsgenError(
                            f"the next timestamp after {last} would be {value}, more than the "
                            f"registry and the ledger store ({2**63 - 1}); nothing was issued. "
                            f"{self.path} (or the ledger) holds a value at the top of the range: "
                            "check it, and use fewer [crossref] timestamp_digits"
                        )
                    if len(str(value)) != self.digits:
                        raise JatsgenError(
                            f"the next timestamp after {last} would have {len(str(value))} "
                            f"digits, not {self.digits}: {self.path} (or the ledger) holds a "
                            "value from the future; check it, and set [crossref] "
                            "timestamp_digits or remove the state file"
                        )
                if last is not None and value <= last:
                    raise JatsgenError(
                        f"timestamp {value} is not larger than the last one issued ({last}); "
                        "the registry rejects a timestamp less than or equal to the one it holds"
                    )
                values.append(value)
                last = value
            if values:
                state["last"] = values[-1]
            state["digits"] = self.digits
            return values
