"""What every command shares: its one error, running an action on the node's database,
and reaching remote actors as the instance actor."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from node.config import Settings
from node.storage.db import Pool

if TYPE_CHECKING:
    from node.services.remote import RemoteActors


class CommandError(Exception):
    """A command cannot do what was asked: shown to the operator as one line, exit code 1."""


NO_NODE_HINT = (
    "Is this the node you meant? Name its settings with --config FILE (or "
    "MOVEMENT_NODE_CONFIG; the systemd unit's are in /etc/movement-node/movement-node.toml, "
    "found by itself), or create this one with `movement-node db init` or `movement-node serve`"
)


def no_node(exc: Exception) -> CommandError:
    """The one error of a command that found no node database where its settings point."""
    return CommandError(f"{exc}. {NO_NODE_HINT}")


# what the command being run changes, for its line in the audit trail (set by main())
SHELL_LINE: dict[str, Any] = {}


def run(settings: Settings, action: Callable[[Pool], Awaitable[int]]) -> int:
    """Run `action` on the node's existing database, saying on stderr which node that is;
    never creates a database (`serve`, `db init` and `restore` do). A command that
    changes something leaves a line in the audit trail when it succeeds."""
    from node.runtime.database import open_node_database
    from node.storage.server import NoDatabaseError, describe

    print(f"movement-node: {describe(settings)}", file=sys.stderr)

    async def main() -> int:
        try:
            async with open_node_database(settings, max_size=2, create=False) as (
                _dsn,
                pool,
            ):
                result = await action(pool)
                if result == 0 and SHELL_LINE:
                    from node.services import audit

                    await audit.shell(pool, **SHELL_LINE)
                return result
        except NoDatabaseError as exc:
            raise no_node(exc) from None

    return asyncio.run(main())


@contextlib.asynccontextmanager
async def remote_actors(settings: Settings, pool: Pool) -> AsyncIterator[RemoteActors]:
    """The remote actor cache with a fetcher signing as the instance actor (for CLI commands)."""
    from federation.fetch.client import Fetcher, create_session
    from node.clock import utcnow
    from node.domain.actors import INSTANCE_NAME
    from node.services.actors import signing_key
    from node.services.remote import RemoteActors

    key = await signing_key(pool, settings.url, INSTANCE_NAME)
    private = settings.allow_private_network
    async with create_session(allow_private=private) as session:
        fetcher = Fetcher(session, lambda: key, allow_private=private, clock=utcnow)
        yield RemoteActors(
            pool, fetcher, base_url=settings.url, allow_private=private, clock=utcnow
        )


async def resolve(settings: Settings, pool: Pool, handle: str) -> dict[str, Any]:
    """WebFinger + signed fetch of a remote handle (as the instance actor)."""
    from federation.errors import FederationError

    async with remote_actors(settings, pool) as remote:
        try:
            if handle.startswith(("http://", "https://")):
                return await remote.fetch_actor(handle)
            return await remote.resolve_handle(handle)
        except (FederationError, ValueError) as exc:
            msg = f"cannot resolve {handle}: {exc}"
            raise CommandError(msg) from None
