"""The schema versions jatsgen writes, listed once for the CLI, the config and the writers."""

from __future__ import annotations

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
