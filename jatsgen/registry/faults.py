"""Faults the sandbox injects so a client's resilience is shown, not assumed: latency, dropped
connections, 5xx, 429 with Retry-After, "stored the upload but lost the response", and a
submission log that echoes the request's password (as some servers echo form fields)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from ..errors import JatsgenError

NETWORK_FAULTS = ("latency", "drop", "500", "503", "429", "lost")
FAULT_KINDS = (*NETWORK_FAULTS, "echo")


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = NETWORK_FAULTS
    latency: float = 2.0
    retry_after: int = 1
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise JatsgenError(
                f"unknown fault kind {sorted(unknown)[0]!r}; choose from {', '.join(FAULT_KINDS)}"
            )
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        with self._lock:
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind
