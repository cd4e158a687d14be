"""The small JSON files in the state folder that must survive runs (the last timestamp
issued; the DOIs given to works): read whole and checked, changed under a lock, written
whole, so that two runs at once and a damaged file are both one line, never a guess."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import JatsgenError


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the file's lock (beside it) while it is read, changed and written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read(path: Path, what: str, fix: str) -> Any:
    """The file's JSON, or None when there is no file; unreadable or not JSON is one line
    naming the file, `what` it holds and how to `fix` it."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not JSON"
        raise JatsgenError(f"{path}: {what} is unreadable ({why}); {fix}") from None


def write(path: Path, data: Any, **dump: Any) -> None:
    """Write the whole file anew (a temporary file, then a rename)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, **dump), "utf-8")
    os.replace(tmp, path)
