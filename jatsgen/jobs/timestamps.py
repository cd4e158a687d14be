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
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from ..errors import JatsgenError

ENV_STATE = "JATSGEN_STATE_DIR"


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
    ) -> None:
        if digits < 15:
            raise JatsgenError("timestamps need at least 15 digits (14 for the date and time)")
        self.path = directory / "timestamps.json"
        self.digits = digits
        self.pinned = pinned
        self.now = now

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, int]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state: dict[str, int] = {}
            if self.path.is_file():
                try:
                    state = json.loads(self.path.read_text("utf-8"))
                except (OSError, ValueError):
                    raise JatsgenError(
                        f"{self.path}: timestamp state is unreadable; fix or "
                        "remove it (then pass --timestamp larger than the last "
                        "deposit's)"
                    ) from None
            yield state
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2), "utf-8")
            os.replace(tmp, self.path)

    def today(self) -> dt.date:
        """The deposit date: from a pinned timestamp when there is one, else today in UTC."""
        if self.pinned is not None:
            digits = str(self.pinned)[:8]
            with contextlib.suppress(ValueError):
                return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        return (self.now or dt.datetime.now(dt.UTC)).date()

    def last(self) -> int | None:
        if not self.path.is_file():
            return None
        value = json.loads(self.path.read_text("utf-8")).get("last")
        return int(value) if value is not None else None

    def issue(self) -> int:
        return self.issue_many(1)[0]

    def issue_many(self, count: int) -> list[int]:
        """`count` increasing timestamps, issued together (one read and write of the state):
        the same values `count` calls of `issue` would give."""
        with self._locked() as state:
            last = state.get("last")
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
                    if len(str(value)) != self.digits:
                        raise JatsgenError(f"--timestamp {value} must have {self.digits} digits")
                else:
                    now = self.now or dt.datetime.now(dt.UTC)
                    base = int(now.strftime("%Y%m%d%H%M%S")) * 10 ** (self.digits - 14)
                    value = max(base, (last or 0) + 1)
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
