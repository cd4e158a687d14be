"""Review before registering: every DOI a deposit would register, as it would be registered,
with the findings of validation and conversion, what the deposit cannot carry, and what
changed since the last deposit of it (`jatsgen preview`)."""

from __future__ import annotations

from .collect import Entry, Review, review
from .page import render, summary_rows

__all__ = ["Entry", "Review", "render", "review", "summary_rows"]
