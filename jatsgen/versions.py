"""What this installation is: jatsgen's own version, the schema versions it writes (listed
once for the CLI, the config and the writers), and where its own data files (the record JSON
Schema, the schema manifest) live: in a checkout (`pip install -e .`) in `<repo>/schemas`, in
a wheel as `jatsgen/_schemas`. Every stage may read it; it imports nothing of jatsgen (the
front door re-exports `__version__` from here, so no stage imports the front door)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# Crossref deposit schemas jatsgen writes; 5.4.0 is the registry's current recommendation.
CROSSREF_VERSIONS = ("5.3.1", "5.4.0", "5.5.0")
DEFAULT_CROSSREF_VERSION = "5.4.0"

# JATS versions and tag sets jatsgen writes (it reads and validates older ones too).
JATS_VERSIONS = ("1.3", "1.4")
DEFAULT_JATS_VERSION = "1.3"
TAG_SETS = ("publishing", "archiving")
DEFAULT_TAG_SET = "publishing"


def crossref_schema_id(version: str) -> str:
    return f"crossref-{version}"


def jats_schema_id(version: str, tag_set: str = DEFAULT_TAG_SET) -> str:
    return f"jats-{version}-{tag_set}"


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
