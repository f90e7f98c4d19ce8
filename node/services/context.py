"""What every use-case needs of the running node, in one value instead of threaded
parameters: its public base URL, the remote-actor cache (to fetch and verify what others
say) and its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from node.clock import utcnow
from node.services.remote import RemoteActors


@dataclass(frozen=True, slots=True)
class Context:
    base_url: str
    remote: RemoteActors
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        return self.clock()
