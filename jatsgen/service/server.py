"""`jatsgen serve`: the service's parts put together (storage, key, workers, the web app),
with the first run's admin, and `--sandbox` for a rehearsal on the bundled examples."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..deposit.ledger import Ledger
from ..errors import JatsgenError
from .auth import hash_password, new_secret
from .store import Store
from .vault import Vault
from .work import Service, Workers, upload_key

_REPO_EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_SLUG = "ysc"
DEMO_ACCOUNT = ("demo", "demo-password")  # the sandbox's own demo account (no real secret)


@dataclass
class Options:
    data: Path
    database: str | None = None
    schemas: str | None = None
    workers: int = 4
    lease: float = 30.0
    poll: float = 5.0
    wait: float = 300.0
    sandbox: bool = False
    sandbox_faults: float = 0.0


def make_service(opts: Options) -> Service:
    opts.data.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(opts.database or opts.data / "jatsgen.sqlite")
    store = Store(ledger)
    with store.db():  # the tables made (or brought up to date) before anyone asks
        pass
    return Service(store, ledger, Vault(opts.data), opts.data, opts.schemas, opts.lease,
                   opts.poll, opts.wait)  # fmt: skip


def first_admin(svc: Service, say: Any = print) -> str | None:
    """On the first run, an admin with a one-time password, printed once (and only then)."""
    if svc.store.people_count():
        return None
    password = new_secret()[:20]
    try:
        svc.store.add_person("admin", hash_password(password), is_admin=True)
    except Exception:  # another host made the first admin at the same moment
        return None
    say(f"first run: an admin was made. Log in as 'admin' with the one-time password {password}")
    return password


def start_sandbox(svc: Service, opts: Options) -> Any:
    """A local registry (`jatsgen registry serve`) in this process, and the demo journal
    pointed at it: the bundled examples can be uploaded, reviewed and deposited at once."""
    from ..registry import Account, Faults, Sandbox, sandbox_url, serve

    user, password = DEMO_ACCOUNT
    accounts = {user: Account(user, password, ("depositor",), ("10.5555",))}
    faults = Faults(opts.sandbox_faults, ("drop", "500", "503", "429", "lost"), 0.5, 1, None)
    sandbox = Sandbox(opts.data / "sandbox", accounts, faults, process_delay=0.5,
                      schemas=opts.schemas)  # fmt: skip
    server = serve(sandbox, "127.0.0.1", 0)
    url = sandbox_url(server)
    import threading

    threading.Thread(target=server.serve_forever, name="sandbox", daemon=True).start()
    journal = svc.store.journal(DEMO_SLUG)
    config_file = _REPO_EXAMPLES / "jatsgen.toml"
    config = config_file.read_text("utf-8") if config_file.is_file() else _demo_config()
    if journal is None:
        svc.store.add_journal(DEMO_SLUG, "Youth and Science (demo, sandbox)", config, url)
        journal = svc.store.journal(DEMO_SLUG)
        assert journal is not None
        bundled = [_REPO_EXAMPLES / n for n in ("page.txt", "papers.csv")]
        if all(p.is_file() for p in bundled):  # the first review is waiting at the first login
            files = [(p.name, p.read_bytes()) for p in bundled]
            svc.store.add_job(journal.id, "prepare", files=files, account=upload_key(journal))
    else:
        svc.store.update_journal(journal.id, config=journal.config, endpoint=url,
                                 name=journal.name)  # fmt: skip
    svc.store.set_credentials(journal.id, svc.vault.seal(user, password))
    return server, sandbox, url


def _demo_config() -> str:
    from .actions import EXAMPLE_CONFIG

    return EXAMPLE_CONFIG.replace('suffix = "{year}.{number}"', 'suffix = "ysc.{year}.{number}"')


def run(opts: Options, host: str, port: int) -> None:
    """Serve until Ctrl-C (or SIGTERM): the workers stop taking jobs; one they were running
    is taken again by another worker, or by this one at its next start."""
    import uvicorn

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    svc = make_service(opts)
    first_admin(svc)
    sandbox = start_sandbox(svc, opts) if opts.sandbox else None
    if sandbox is not None:
        print(f"sandbox registry at {sandbox[2]}; journal '{DEMO_SLUG}' deposits to it")
    workers = Workers(svc, opts.workers)
    workers.start()
    print(f"jatsgen service at http://{host}:{port}/ (data: {opts.data}; database: "
          f"{svc.ledger.label})", flush=True)  # fmt: skip
    try:
        uvicorn.run(create_app(svc), host=host, port=port, log_level="warning")
    except SystemExit as exc:  # uvicorn could not listen
        raise JatsgenError(f"cannot listen on {host}:{port} (the port is taken?)") from exc
    finally:
        workers.stop()
        if sandbox is not None:
            sandbox[0].shutdown()
            sandbox[1].close()
        sys.stdout.flush()
