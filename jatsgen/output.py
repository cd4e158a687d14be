"""Writing output files so that a file on disk is always complete and validated."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class NameAllocator:
    """Unique, deterministic output names: 'x.xml', then 'x-2.xml' for a second 'x'."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, stem: str, suffix: str = ".xml") -> str:
        name = f"{stem}{suffix}"
        k = 2
        while name.lower() in self.used:
            name = f"{stem}-{k}{suffix}"
            k += 1
        self.used.add(name.lower())
        return name
