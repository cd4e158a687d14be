"""The two jobs: `jatsgen jats` (records to validated JATS files) and `jatsgen crossref`
(records to validated deposit batches: DOIs, timestamps, works written in parallel, batches
assembled under the registry's limits)."""

from __future__ import annotations

from .crossref import BatchRun, make_batches
from .jats import Outcome, convert_to_jats
from .timestamps import TimestampClock, state_dir

__all__ = ["BatchRun", "Outcome", "TimestampClock", "convert_to_jats", "make_batches", "state_dir"]
