"""The tree reads as the pipeline (issue 10): a core at the top, one subpackage per stage,
imports that only run down the pipeline, a front door, SQL in two modules, short functions."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "jatsgen"
STAGES = ("readers", "writers", "validation", "jobs", "deposit", "registry", "review", "service",
          "cli")  # fmt: skip
# what each stage may import besides the core (the top-level modules)
ALLOWED = {
    "core": set(),
    "readers": set(),
    "writers": set(),
    "validation": set(),
    "jobs": {"readers", "writers", "validation"},
    "deposit": {"validation"},
    "registry": {"validation", "deposit"},
    "review": {"validation", "jobs", "deposit"},
    # the service is a thin layer over the stages, as the command line is (which starts it)
    "service": {"validation", "jobs", "deposit", "registry", "review"},
    "cli": set(STAGES),
}
MAX_BODY_LINES = 80


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def stage_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    if rel in (("__init__.py",), ("__main__.py",)):
        return "cli"  # the front door and `python -m jatsgen` stand above every stage
    return rel[0] if len(rel) > 1 else "core"


def imported_stages(path: Path) -> set[str]:
    """The stages a module imports from (relative and absolute imports, anywhere in it)."""
    tree = ast.parse(path.read_text("utf-8"))
    here = path.relative_to(PACKAGE).parts[:-1]  # the module's package, below jatsgen
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = list(here[: len(here) - (node.level - 1)])
            target = base + (node.module.split(".") if node.module else [])
            if not target:  # "from .. import x": the names are modules of jatsgen
                target = [alias.name for alias in node.names][:1]
        elif node.module and node.module.startswith("jatsgen."):
            target = node.module.split(".")[1:]
        else:
            continue
        if target and target[0] in STAGES:
            found.add(target[0])
    return found


def test_every_stage_is_a_subpackage_and_the_core_is_small():
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
    core = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))
    assert len(core) <= 12, core  # model, messages (diagnostics, errors, hints), ids, dates, ...


def test_no_stage_imports_the_front_door():
    """`jatsgen/__init__.py` stands above every stage: a stage importing from it (as
    `from .. import __version__` did) would run the import back up the pipeline."""
    wrong = []
    for path in modules():
        if stage_of(path) == "cli" and path.parent == PACKAGE:
            continue  # the front door and `python -m jatsgen` themselves
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.module:
                depth = len(path.relative_to(PACKAGE).parts) - 1
                if node.level == depth + 1 or (node.level == 1 and depth == 0):
                    wrong.append(f"{path.relative_to(ROOT)}: from {'.' * node.level} import ...")
    assert not wrong, "\n".join(wrong)


def test_imports_only_run_down_the_pipeline():
    wrong = []
    for path in modules():
        stage = stage_of(path)
        for target in imported_stages(path) - {stage} - ALLOWED[stage]:
            wrong.append(f"{path.relative_to(ROOT)} ({stage}) imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_front_door_lists_the_public_api_and_every_name_imports():
    proc = subprocess.run(
        [sys.executable, "-c", "import jatsgen; print(' '.join(jatsgen.__all__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = proc.stdout.split()
    for needed in (
        "read", "to_jats", "convert_to_jats", "make_batches", "validate_paths", "Validator",
        "Depositor", "Ledger", "SchemaLocator", "load_config", "JatsgenError", "InputError",
        "DepositError",
    ):  # fmt: skip
        assert needed in names, needed
    import jatsgen

    assert sorted(names) == sorted(jatsgen._EXPORTS)  # every public name has a home
    for name in names:
        assert getattr(jatsgen, name) is not None, name
    with pytest.raises(AttributeError):
        _ = jatsgen.no_such_name


def test_library_use_in_the_readme_imports_only_from_jatsgen():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Library use", 1)[1].split("\n## ", 1)[0]
    imports = re.findall(r"^\s*(?:from|import) (\S+)", section, flags=re.M)
    assert imports and set(imports) == {"jatsgen"}, imports


_SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def test_sql_is_only_in_the_ledger_the_service_store_and_the_registry_store():
    holders = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and _SQL.search(text):
                holders.add(path.relative_to(PACKAGE).as_posix())
    # the ledger's tables, the service's beside them (with the dialects' own words in
    # `database.py`), and the sandbox's
    assert holders == {
        "deposit/ledger.py",
        "deposit/database.py",
        "registry/store.py",
        "service/store.py",
    }


def test_no_function_body_is_longer_than_80_lines():
    long = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring does not count
            if body and (n := body[-1].end_lineno - body[0].lineno + 1) > MAX_BODY_LINES:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "\n".join(long)
