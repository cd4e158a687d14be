"""Finding, installing and compiling the official XSDs; never copies them into the project.

`schemas/manifest.json` names every schema set we know (Crossref 4.3.0-5.5.0 with the
resource-only and grant schemas, JATS 1.3/1.4 Publishing as XSD, every other JATS and NLM
version and tag set as its DTD, BITS 2.2) with its official URL, and lists each folder of
official files once with the sha256 of every file in it. At run time a
set is looked up, in order, in `--schemas DIR`, `$JATSGEN_SCHEMAS`, and the user cache that
`jatsgen schemas install --source DIR|URL` fills (`install.py`, checking every sha256).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import platformdirs

from ..errors import JatsgenError, SchemaNotFoundError
from ..versions import load_json

ENV_SCHEMAS = "JATSGEN_SCHEMAS"
ENV_CACHE = "JATSGEN_CACHE_DIR"
ENV_OFFLINE = "JATSGEN_OFFLINE"
INSTALLED = "installed.json"  # the sha256 of what `schemas install` took, per set


@dataclass(frozen=True, eq=False)  # one instance per set (manifest() is cached)
class SchemaSet:
    id: str
    label: str
    dir: str
    entry: str
    xsd_version: str
    files: Mapping[str, str | None]
    catalog: Mapping[str, str] = field(default_factory=dict)
    format: str = "xsd"  # xsd | dtd
    base_url: str | None = None
    archive_url: str | None = None
    info_url: str | None = None
    libxml2: bool = True  # False: only xmlschema compiles it (BITS 2.2)

    @property
    def official_url(self) -> str:
        if self.archive_url:
            return self.archive_url
        if self.base_url:
            return f"{self.base_url}{self.entry}"
        return self.info_url or ""

    @property
    def fetchable(self) -> bool:
        return bool(self.archive_url or self.base_url)


@cache
def manifest() -> dict[str, SchemaSet]:
    data = load_json("manifest.json")
    folders = data["folders"]
    return {
        sid: SchemaSet(
            id=sid,
            label=s["label"],
            dir=s["dir"],
            entry=s["entry"],
            xsd_version=s["xsd_version"],
            files=folders.get(s["dir"]) or {s["entry"]: None},
            catalog=s.get("catalog", {}),
            format=s.get("format", "xsd"),
            base_url=s.get("base_url"),
            archive_url=s.get("archive_url"),
            info_url=s.get("info_url"),
            libxml2=s.get("libxml2", True),
        )
        for sid, s in data["sets"].items()
    }


def schema_set(set_id: str) -> SchemaSet:
    """A set of the manifest; a version the manifest does not list (Crossref 4.2.0, NLM 2.1)
    is known by its official home, so a file needing it gets the same "not installed, here
    is where to get it" message as any other."""
    known = manifest().get(set_id)
    if known is not None:
        return known
    crossref = re.fullmatch(r"(crossref|doi-resources|grant-id)-(\d+\.\d+\.\d+)", set_id)
    if crossref:
        kind, version = crossref.groups()
        file = f"{kind.replace('-', '_')}{version}.xsd"
        label = {"crossref": "Crossref deposit", "doi-resources": "Crossref resource-only "
                 "deposit", "grant-id": "Crossref grant deposit"}[kind]  # fmt: skip
        return SchemaSet(set_id, f"{label} {version}", f"crossref/{version}", file, "1.0", {},
                         info_url=f"https://www.crossref.org/schemas/{file}")  # fmt: skip
    if m := re.fullmatch(r"bits-(\d+\.\d+)", set_id):
        v = m.group(1)
        home = f"https://jats.nlm.nih.gov/extensions/bits/{v}/"
        return SchemaSet(set_id, f"BITS {v} Book Interchange", f"bits/{v}", "BITS-book.xsd",
                         "1.0", {}, info_url=home)  # fmt: skip
    family, _, rest = set_id.partition("-")
    version, _, tag_set = rest.partition("-")
    if family in ("jats", "nlm") and re.fullmatch(r"\d+\.\d+", version) and tag_set:
        name = "JATS" if family == "jats" else "NLM"
        home = "https://jats.nlm.nih.gov" if family == "jats" else "https://dtd.nlm.nih.gov"
        return SchemaSet(set_id, f"{name} {version} {tag_set.title()}",
                         f"{family}/{version}/{tag_set}", f"{tag_set}.dtd", "", {},
                         info_url=f"{home}/{tag_set}/{version}/", format="dtd")  # fmt: skip
    raise JatsgenError(f"unknown schema {set_id!r}; known: {', '.join(manifest())}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_CACHE):
        return Path(env[ENV_CACHE]) / "schemas"
    return Path(platformdirs.user_cache_dir("jatsgen")) / "schemas"


@dataclass(frozen=True)
class ResolvedSchema:
    set: SchemaSet
    root: Path  # the folder holding <set.dir>/
    origin: str  # "--schemas", "$JATSGEN_SCHEMAS" or "cache"

    @property
    def base(self) -> Path:
        return self.root / self.set.dir

    @property
    def entry_path(self) -> Path:
        return self.base / self.set.entry

    def expected_sha(self, rel: str) -> str | None:
        known = self.set.files.get(rel)
        if known:
            return known
        installed = self.root / INSTALLED
        if installed.is_file():
            recorded = json.loads(installed.read_text("utf-8")).get(self.set.id, {})
            value = recorded.get(rel)
            return value if isinstance(value, str) else None
        return None

    def integrity_problems(self) -> list[str]:
        """Files whose sha256 differs from the manifest (only the entry file is hashed)."""
        expected = self.expected_sha(self.set.entry)
        if expected and sha256_file(self.entry_path) != expected:
            return [f"{self.entry_path} differs from the official file (sha256 {expected[:12]}…)"]
        return []


class SchemaLocator:
    """Looks for schema sets in --schemas, $JATSGEN_SCHEMAS and the user cache, in that order."""

    def __init__(
        self, explicit: str | Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self.env = os.environ if env is None else env
        self.explicit = Path(explicit) if explicit else None
        if self.explicit is not None and not self.explicit.is_dir():
            raise JatsgenError(f"--schemas {self.explicit}: no such folder")

    def __getstate__(self) -> dict[str, object]:
        # os.environ does not pickle; a worker process gets a copy of what it held
        return {**self.__dict__, "env": dict(self.env)}

    def candidates(self) -> list[tuple[str, Path]]:
        out: list[tuple[str, Path]] = []
        if self.explicit is not None:
            out.append(("--schemas", self.explicit))
        if self.env.get(ENV_SCHEMAS):
            out.append((f"${ENV_SCHEMAS}", Path(self.env[ENV_SCHEMAS])))
        out.append(("cache", cache_dir(self.env)))
        return out

    def find(self, set_id: str) -> ResolvedSchema:
        s = schema_set(set_id)
        for origin, root in self.candidates():
            if (root / s.dir / s.entry).is_file():
                return ResolvedSchema(s, root.resolve(), origin)
        looked = "; ".join(f"{o} ({p})" for o, p in self.candidates())
        raise SchemaNotFoundError(
            f"no copy of the {s.label} schema ({s.dir}/{s.entry}) was found. Looked in: {looked}. "
            f"Point at a folder of official schemas with --schemas DIR or ${ENV_SCHEMAS}, or run "
            f"`jatsgen schemas install --source DIR|URL` (official: {s.official_url})."
        )

    def available(self) -> Iterator[tuple[SchemaSet, ResolvedSchema | None]]:
        for sid in manifest():
            try:
                yield manifest()[sid], self.find(sid)
            except SchemaNotFoundError:
                yield manifest()[sid], None


# --- installing ----------------------------------------------------------------------------


def offline(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(ENV_OFFLINE, "").lower() in ("1", "true", "yes")
