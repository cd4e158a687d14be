"""'Valid' means valid (issue 22): jatsgen's verdict on mutated real files equals the official
engine's (tests/fuzz.py says how), whatever engine jatsgen picks, with no internal error.
A few hundred mutants in the default run; thousands over every installed schema set under
`slow`. Where the official engines depart from the specification, the case is named and
pinned in tests/test_validity_cases.py."""

from __future__ import annotations

import fuzz
import pytest

# the sets with real files of their own (official examples, jatsgen's outputs, the corpus)
PRIMARY = {
    "crossref-4.4.2", "crossref-4.8.0", "crossref-5.3.0", "crossref-5.3.1", "crossref-5.4.0",
    "crossref-5.5.0", "doi-resources-4.4.2", "grant-id-0.0.1", "jats-1.0-publishing",
    "jats-1.1-publishing", "jats-1.1-archiving", "jats-1.2-publishing", "jats-1.3-publishing",
    "jats-1.4-publishing", "nlm-3.0-publishing", "bits-2.2",
}  # fmt: skip


def check(outcomes: dict[str, fuzz.Outcome]) -> None:
    lines = "\n".join(fuzz.table(outcomes))
    for o in outcomes.values():
        assert not o.internal, (o.set_id, o.internal[:3])
        assert not o.engines_differ, (o.set_id, o.engines_differ[:3])
        assert not o.false_valid, (o.set_id, o.false_valid[:3], lines)
        assert not o.false_invalid, (o.set_id, o.false_invalid[:3], lines)
        assert set(o.spec) <= fuzz.SPEC
        assert o.agree + sum(o.spec.values()) == o.total


def test_a_few_hundred_mutants_get_the_official_verdict():
    outcomes = fuzz.run(320, seed=22, only=PRIMARY)
    check(outcomes)
    assert set(outcomes) == PRIMARY
    assert sum(o.total for o in outcomes.values()) >= 300
    tried = sum((o.kinds for o in outcomes.values()), start=fuzz.Counter())
    assert len(tried) >= 18  # (every kind of mutation, or nearly, was tried)


@pytest.mark.slow
def test_thousands_of_mutants_over_every_installed_schema_set():
    from jatsgen.validation.schemas import manifest

    outcomes = fuzz.run(5100, seed=202)
    check(outcomes)
    assert set(outcomes) == set(manifest())  # every installed set, real or derived seeds
    assert sum(o.total for o in outcomes.values()) >= 5000
