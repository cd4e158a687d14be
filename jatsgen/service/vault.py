"""Registry credentials kept encrypted at rest, with a key that is not in the database.

The key is `$JATSGEN_SERVICE_KEY` (hosts that share one PostgreSQL set the same one), else
the file `DATA/service.key`, made on the first run with mode 0600. Fernet (AES-128-CBC with
an HMAC, from `cryptography`) is the field's standard for this; a sealed value read with
another key is an error that says so, never a wrong password sent to the registry.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..deposit.client import Credentials
from ..errors import JatsgenError

ENV_KEY = "JATSGEN_SERVICE_KEY"


class Vault:
    def __init__(self, data: Path) -> None:
        from cryptography.fernet import Fernet

        key = os.environ.get(ENV_KEY, "").encode()
        if not key:
            path = data / "service.key"
            if not path.exists():
                data.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(Fernet.generate_key())
            key = path.read_bytes().strip()
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise JatsgenError(
                f"${ENV_KEY} (or DATA/service.key) is not a key: 32 url-safe base64-encoded "
                "bytes, as `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` prints"
            ) from None

    def seal(self, user: str, password: str, role: str | None = None) -> bytes:
        text = json.dumps({"user": user, "password": password, "role": role or None})
        return self._fernet.encrypt(text.encode())

    def open(self, sealed: bytes) -> Credentials:
        from cryptography.fernet import InvalidToken

        try:
            data = json.loads(self._fernet.decrypt(sealed))
        except InvalidToken:
            raise JatsgenError(
                "the journal's registry credentials were sealed with another key: set "
                f"${ENV_KEY} to the key they were saved with, or enter them again"
            ) from None
        return Credentials(data["user"], data["password"], data.get("role"))
