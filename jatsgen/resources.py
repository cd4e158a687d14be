"""Where the project's own data files (record JSON Schema, schema manifest) live.

In a checkout (`pip install -e .`) they are in `<repo>/schemas`; a wheel carries the same
folder as `jatsgen/_schemas`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir() -> Path:
    for candidate in (_PACKAGE / "_schemas", _PACKAGE.parent / "schemas"):
        if (candidate / "record.schema.json").is_file():
            return candidate
    raise FileNotFoundError("jatsgen's data folder (schemas/) is missing from the installation")


@cache
def load_json(name: str) -> Any:
    with (data_dir() / name).open(encoding="utf-8") as fh:
        return json.load(fh)
