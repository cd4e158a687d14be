"""What README.md shows works as written."""

from __future__ import annotations

import shutil
import textwrap

from conftest import EXAMPLES, ROOT, SEED


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_library_use_snippet_runs_end_to_end_against_the_sandbox(
    tmp_path, monkeypatch, registry, env
):
    """The README's library example, run as written, with the registry's test host swapped
    for the local sandbox: JATS written, batches written and valid, every batch received."""
    code = readme_section("Library use").split("```python", 1)[1].split("```", 1)[0]
    reg = registry()
    code = code.replace("https://test.crossref.org", reg.url)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(SEED, work / "paper.txt")
    shutil.copy(EXAMPLES / "jatsgen.toml", work / "jatsgen.toml")
    monkeypatch.chdir(work)
    scope: dict[str, object] = {}
    exec(compile(textwrap.dedent(code), "README.md", "exec"), scope)
    assert [p.name for p in (work / "out" / "jats").glob("*.xml")] == ["paper.xml"]
    run = scope["run"]
    assert run.ok and len(run.batches) == 1  # type: ignore[attr-defined]
    assert all(r.ok for r in scope["reports"])  # type: ignore[attr-defined]
    assert [o.state for o in scope["outcomes"]] == ["received"]  # type: ignore[attr-defined]
