"""The jobs: `jatsgen jats` (records to validated JATS files), `jatsgen crossref` (records
to validated deposit batches: DOIs, timestamps, works written in parallel, batches assembled
under the registry's limits) and `jatsgen resources` (additions to registered DOIs to
validated resource-only batches)."""

from __future__ import annotations

from .crossref import BatchRun, make_batches
from .jats import Outcome, convert_to_jats
from .resources import ResourceRun, make_resource_batches
from .timestamps import TimestampClock, state_dir

__all__ = [
    "BatchRun",
    "Outcome",
    "ResourceRun",
    "TimestampClock",
    "convert_to_jats",
    "make_batches",
    "make_resource_batches",
    "state_dir",
]
