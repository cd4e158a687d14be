"""`jatsgen schemas install`: official schema files from a folder, a mirror or an official
package into the user cache, each file checked against the manifest's sha256; and the
first-use download of a set that is not installed."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import JatsgenError, SchemaIntegrityError
from .schemas import (
    ENV_SCHEMAS,
    INSTALLED,
    ResolvedSchema,
    SchemaSet,
    cache_dir,
    manifest,
    schema_set,
)

MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024


@dataclass
class InstallResult:
    installed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    target: Path | None = None


Progress = Callable[[str], None]


def install(
    source: str,
    *,
    sets: list[str] | None = None,
    target: Path | None = None,
    accept_changed: bool = False,
    progress: Progress | None = None,
) -> InstallResult:
    """Copy official schema files from a folder or URL into the cache, checking sha256.

    `source` may be a folder laid out like `<set dir>/<files>` (as ../shared/schemas is), a
    folder holding one set's files directly, a URL of such a folder, or a URL of an official
    .zip package. A file whose sha256 differs from the manifest is refused unless
    `accept_changed` (then its hash is recorded as the trusted one).
    """
    target = target or cache_dir()
    chosen = [schema_set(s) for s in sets] if sets else list(manifest().values())
    result = InstallResult(target=target)
    say = progress or (lambda _m: None)
    if "://" in source and not source.startswith("file://"):
        fetch = _url_fetcher(source, say)
    else:
        folder = Path(source[7:] if source.startswith("file://") else source)
        if not folder.is_dir():
            raise JatsgenError(f"--source {source}: no such folder")
        fetch = _folder_fetcher(folder)
    stored: dict[str, dict[str, bytes]] = {}  # folders taken in this run (sets share them)
    for s in chosen:
        files = stored.get(s.dir)
        if files is None or s.entry not in files:
            files = fetch(s)
            if files is None:
                continue
            problems = _check_and_store(s, files, target, accept_changed)
            if problems:
                result.problems += problems
                continue
            stored[s.dir] = files
        else:
            _record(s, files, target)
        result.installed.append(s.id)
        say(f"installed {s.label} into {target / s.dir}")
    if not result.installed and not result.problems:
        result.problems.append(f"no known schema set was found at {source}")
    return result


Fetcher = Callable[[SchemaSet], "dict[str, bytes] | None"]


def _wanted(s: SchemaSet, available: list[str]) -> list[str]:
    """The files of `s` to take: the manifest's list, or every .xsd when none is known."""
    known = [rel for rel, sha in s.files.items() if sha]
    return known or [rel for rel in available if rel.endswith(".xsd")]


def _folder_fetcher(folder: Path) -> Fetcher:
    def fetch(s: SchemaSet) -> dict[str, bytes] | None:
        for base in (folder / s.dir, folder):
            if (base / s.entry).is_file():
                available = [p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()]
                return {
                    rel: (base / rel).read_bytes()
                    for rel in _wanted(s, available)
                    if (base / rel).is_file()
                }
        return None

    return fetch


def _download(url: str, say: Progress) -> bytes | None:
    import requests

    say(f"fetching {url}")
    try:
        with requests.get(url, timeout=(10, 60), stream=True) as resp:
            if resp.status_code == 404:
                return None
            resp.raise_for_status()
            buf = io.BytesIO()
            for chunk in resp.iter_content(1 << 16):
                buf.write(chunk)
                if buf.tell() > MAX_DOWNLOAD_BYTES:
                    raise JatsgenError(f"{url} is larger than {MAX_DOWNLOAD_BYTES} bytes")
            return buf.getvalue()
    except requests.RequestException as exc:
        raise JatsgenError(
            f"cannot download {url} ({type(exc).__name__}). If this machine is offline, "
            "download the official files elsewhere and run `jatsgen schemas install --source DIR`, "
            f"or point at them with --schemas DIR or ${ENV_SCHEMAS}."
        ) from None


def _url_fetcher(url: str, say: Progress) -> Fetcher:
    archives: dict[str, zipfile.ZipFile] = {}

    def from_zip(s: SchemaSet, archive: zipfile.ZipFile) -> dict[str, bytes] | None:
        names = archive.namelist()
        entry = next((n for n in names if n == s.entry or n.endswith("/" + s.entry)), None)
        if entry is None:
            return None
        prefix = entry[: len(entry) - len(s.entry)]
        available = [
            n[len(prefix) :] for n in names if n.startswith(prefix) and not n.endswith("/")
        ]
        return {
            rel: archive.read(prefix + rel)
            for rel in _wanted(s, available)
            if prefix + rel in names
        }

    def fetch(s: SchemaSet) -> dict[str, bytes] | None:
        if url.lower().endswith(".zip"):
            if url not in archives:
                data = _download(url, say)
                if data is None:
                    raise JatsgenError(f"{url}: not found (HTTP 404)")
                archives[url] = zipfile.ZipFile(io.BytesIO(data))
            return from_zip(s, archives[url])
        base = url.rstrip("/") + "/"
        flat = s.base_url is not None and base == s.base_url
        prefix = base if flat else f"{base}{s.dir}/"
        if _download(prefix + s.entry, lambda _m: None) is None:
            return None
        out: dict[str, bytes] = {}
        for rel in _wanted(s, [s.entry]):
            data = _download(prefix + rel, say)
            if data is None:
                raise JatsgenError(f"{prefix + rel}: not found (HTTP 404); the set is incomplete")
            out[rel] = data
        return out

    return fetch


def _check_and_store(
    s: SchemaSet, files: dict[str, bytes], target: Path, accept_changed: bool
) -> list[str]:
    problems = []
    missing = [rel for rel, sha in s.files.items() if sha and rel not in files]
    if missing:
        return [f"{s.label}: {len(missing)} file(s) missing from the source, e.g. {missing[0]}"]
    for rel, data in sorted(files.items()):
        digest = hashlib.sha256(data).hexdigest()
        expected = s.files.get(rel)
        if expected and digest != expected and not accept_changed:
            problems.append(
                f"{s.label}: {rel} has sha256 {digest[:16]}…, the manifest expects "
                f"{expected[:16]}… (a changed or wrong file; re-run with "
                "--accept-changed to trust it)"
            )
    if problems:
        return problems
    dest = target / s.dir
    tmp = Path(tempfile.mkdtemp(prefix=".install-", dir=_ensure(target)))
    try:
        for rel, data in files.items():
            out = tmp / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _record(s, files, target)
    return []


def _record(s: SchemaSet, files: dict[str, bytes], target: Path) -> None:
    """Note in the cache's installed.json the sha256 of what was taken for `s`."""
    ledger = target / INSTALLED
    state = json.loads(ledger.read_text("utf-8")) if ledger.is_file() else {}
    state[s.id] = {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}
    ledger.write_text(json.dumps(state, indent=2, sort_keys=True), "utf-8")


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_official(set_id: str, progress: Progress | None = None) -> ResolvedSchema:
    """Install one set from its official URL into the cache (the first-use path)."""
    s = schema_set(set_id)
    if not s.fetchable:
        raise JatsgenError(
            f"{s.label} cannot be fetched automatically; download it from "
            f"{s.info_url} and run `jatsgen schemas install --source DIR`"
        )
    result = install(s.archive_url or s.base_url or "", sets=[set_id], progress=progress)
    if set_id not in result.installed:
        raise SchemaIntegrityError("; ".join(result.problems) or f"could not install {s.label}")
    return ResolvedSchema(s, cache_dir(), "cache")
