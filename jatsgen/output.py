"""Writing output files so that a file on disk is always complete and validated."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux), else
    by the set-and-restore dance once, at import (before any thread of ours runs)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give: a file others may read if umask says


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename, with the
    mode a plain write would give (mkstemp's own 0600 would hide output from a shared group)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
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
