"""Remote actors: WebFinger, fetching, validating and caching actors and their keys."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import asyncpg
import structlog

from federation import domains, webfinger
from federation.delivery.plan import recipient_of
from federation.errors import (
    DocumentError,
    FederationError,
    FetchRefusedError,
    OriginMismatchError,
    SignatureFormatError,
    SignatureInvalidError,
)
from federation.fetch.budget import KeyFetchBudget
from federation.fetch.client import FetchedDocument, Fetcher, FetchStatusError
from federation.origin import authority, origin_of, same_origin
from federation.sig.keys import PublicKey, load_public
from federation.vocab.actors import (
    ACTOR_TYPES,
    key_id as key_of,
    owned_keys,
    read_public_key,
)
from node.domain.actors import local_name
from node.storage import actors as store

log = structlog.get_logger(__name__)
MAX_HELD_KEYS = 20_000
KEY_MEMORY = 600.0  # seconds a key is held in memory at most


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    owner: str
    public_key: PublicKey
    cached: bool
    # the owner's document, fetched now: stored (remember) once a signature verifies
    document: dict[str, Any] | None = None


def validate_actor(document: dict[str, Any]) -> dict[str, Any]:
    """Check that a fetched document is an actor we can federate with.

    Raises:
        DocumentError: naming what is missing or wrong.
    """
    type_ = document.get("type")
    types = type_ if isinstance(type_, list) else [type_]
    if not any(t in ACTOR_TYPES for t in types):
        msg = f"not an actor type: {type_!r}"
        raise DocumentError(msg)
    for field in ("id", "inbox"):
        value = document.get(field)
        if not isinstance(value, str):
            msg = f"actor has no {field}"
            raise DocumentError(msg)
        try:
            origin_of(value)
        except ValueError:
            msg = f"actor {field} is not an http(s) URL"
            raise DocumentError(msg) from None
    if not isinstance(document.get("preferredUsername"), str):
        msg = "actor has no preferredUsername"
        raise DocumentError(msg)
    return document


def keys_dropper(remote: Callable[[], RemoteActors | None]) -> Callable[..., None]:
    """The NOTIFY remote_keys handler: its payload names the actor whose keys changed (none,
    on a reconnect: every key goes)."""

    def drop(*args: Any) -> None:
        held = remote()
        if held is not None:
            payload = args[3] if len(args) > 3 else ""
            held.forget_keys(payload or None)

    return drop


class RemoteActors:
    """The remote actor cache over PostgreSQL and the safe fetcher."""

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        fetcher: Fetcher,
        *,
        base_url: str,
        allow_private: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._fetcher = fetcher
        self._base_url = base_url
        self._allow_private = allow_private
        self._clock = clock
        self.key_fetches = KeyFetchBudget()
        # verified remote keys held in memory (key id -> owner, key, since when): a cached
        # key costs no query; dropped when PostgreSQL says its actor's keys changed
        # (Channel.REMOTE_KEYS), and after KEY_MEMORY seconds in any case
        self._keys: dict[str, tuple[str, PublicKey, float]] = {}

    def forget_keys(self, owner: str | None = None) -> None:
        """Drop the keys held for `owner` (None: every key)."""
        if owner is None:
            self._keys.clear()
            return
        for key_id in [k for k, held in self._keys.items() if held[0] == owner]:
            del self._keys[key_id]

    def _hold(self, key_id: str, owner: str, public_key: PublicKey) -> None:
        if len(self._keys) >= MAX_HELD_KEYS:
            self._keys.pop(next(iter(self._keys)))  # the oldest
        self._keys[key_id] = (owner, public_key, time.monotonic())

    def _held(self, key_id: str) -> ResolvedKey | None:
        held = self._keys.get(key_id)
        if held is None:
            return None
        if time.monotonic() - held[2] > KEY_MEMORY:
            del self._keys[key_id]
            return None
        return ResolvedKey(held[0], held[1], cached=True)

    async def fetch_actor(self, url: str) -> dict[str, Any]:
        """Fetch, validate and store a remote actor; return its document."""
        fetched = await self._fetcher.get_json(url)
        actor = validate_actor(fetched.document)
        await self._store(actor)
        return actor

    async def fetch_object(self, url: str) -> FetchedDocument:
        """Fetch a remote object from its own origin (never trust a copy embedded by someone else)."""
        return await self._fetcher.get_json(url)

    async def _store(self, actor: dict[str, Any]) -> None:
        await store.upsert_remote(
            self._pool,
            uri=actor["id"],
            host=authority(actor["id"]),
            type_=str(
                actor["type"] if isinstance(actor["type"], str) else actor["type"][0]
            ),
            username=actor.get("preferredUsername"),
            inbox=actor["inbox"],
            shared_inbox=recipient_of(actor).shared_inbox,
            document=actor,
            keys=owned_keys(actor),
            fetched_at=self._clock(),
        )
        self.forget_keys(actor["id"])  # read again from PostgreSQL at the next use
        log.info("remote_actor_stored", actor=actor["id"])

    async def key_for(self, key_id: str, *, refresh: bool = False) -> ResolvedKey:
        """The public key `key_id` names, and the actor that owns it.

        Raises:
            SignatureInvalidError: the key cannot be found or is not owned by its claimed actor.
            FetchRefusedError / DocumentError: the key's document could not be fetched safely.
        """
        if key_id.startswith(self._base_url + "/"):
            return await self._local_key(key_id)
        if not refresh and (held := self._held(key_id)) is not None:
            return held
        if (
            not refresh
            and (cached := await store.remote_key(self._pool, key_id)) is not None
        ):
            resolved = ResolvedKey(cached[0], load_public(cached[1]), cached=True)
            self._hold(key_id, resolved.owner, resolved.public_key)
            return resolved
        now = time.monotonic()
        if refresh and not self.key_fetches.may_refresh(key_id, now):
            msg = f"signature does not verify with {key_id} (refetched recently)"
            raise SignatureInvalidError(msg)
        host = domains.host_of(key_id)  # the domain, whatever the port: one budget
        if host is None:
            msg = f"keyId {key_id!r} is not an http(s) URL"
            raise SignatureFormatError(msg, code="key_id_invalid")
        refused = self.key_fetches.refusal(key_id, host, now)
        if refused == "key_fetch_budget":
            msg = f"too many key fetches for {host}; try again in a minute"
            raise FetchRefusedError(msg, code="rate_limited", status=429)
        if refused is not None:
            msg = f"key {key_id} could not be fetched a moment ago"
            raise FetchRefusedError(msg, code=refused)
        self.key_fetches.fetched(host, now)
        try:
            return await self._fetch_key(key_id)
        except FederationError:
            self.key_fetches.failed(key_id, time.monotonic())
            raise

    async def _fetch_key(self, key_id: str) -> ResolvedKey:
        fetched = await self._fetcher.get_json(key_id.split("#", 1)[0])
        found = read_public_key(fetched.document, key_id)
        if found is None:
            msg = f"key {key_id} not found in its document"
            raise SignatureInvalidError(msg)
        if not same_origin(found.owner, key_id):
            msg = f"key {key_id} claims owner {found.owner} on another origin"
            raise SignatureInvalidError(msg)
        actor = (
            fetched.document
            if fetched.document.get("id") == found.owner
            else (await self._fetcher.get_json(found.owner)).document
        )
        validate_actor(actor)
        if key_id not in dict(owned_keys(actor)):
            msg = f"actor {found.owner} does not list key {key_id} as its own"
            raise SignatureInvalidError(msg)
        try:
            return ResolvedKey(
                found.owner,
                load_public(found.public_key_pem),
                cached=False,
                document=actor,
            )
        except ValueError as exc:
            raise SignatureInvalidError(str(exc)) from None

    async def remember(self, key_id: str, resolved: ResolvedKey) -> None:
        """Store the actor behind a freshly fetched key, once it verified a signature (a
        refused request leaves no row behind), and hold the key in memory."""
        if resolved.document is not None:
            await self._store(resolved.document)
        if not key_id.startswith(self._base_url + "/"):
            self._hold(key_id, resolved.owner, resolved.public_key)

    async def _local_key(self, key_id: str) -> ResolvedKey:
        name = local_name(self._base_url, key_id)
        actor = None if name is None else await store.local_by_name(self._pool, name)
        if actor is not None:
            owner = key_id.split("#", 1)[0]
            if key_id == key_of(owner, actor.key_serial):
                return ResolvedKey(
                    owner, load_public(actor.public_key_pem), cached=True
                )
            graced = dict(await store.graced_keys(self._pool, actor.id, self._clock()))
            if key_id in graced:
                return ResolvedKey(owner, load_public(graced[key_id]), cached=True)
        msg = f"no local key {key_id}"
        raise SignatureInvalidError(msg)

    async def resolve_handle(self, handle: str) -> dict[str, Any]:
        """WebFinger `user@host`, fetch the actor, and check the round trip as Mastodon does."""
        acct = webfinger.parse_acct(handle)
        actor_url = await self._webfinger(acct)
        actor = await self.fetch_actor(actor_url)
        derived = webfinger.Acct(actor["preferredUsername"], authority(actor["id"]))
        if str(derived) != str(acct) and await self._webfinger(derived) != actor["id"]:
            msg = f"{acct} does not round-trip: the actor calls itself {derived}"
            raise OriginMismatchError(msg)
        return actor

    async def subscribe_url(self, handle: str, uri: str) -> str | None:
        """Where the person `handle` (`you@your.server`) follows `uri` from their own
        server (their JRD's subscribe template), or None when it offers none.

        Raises:
            WebFingerError: not a handle.
            FetchRefusedError: their server cannot be asked (or may not be).
        """
        acct = webfinger.parse_acct(handle)
        return webfinger.subscribe_url(await self._jrd(acct), uri=uri, host=acct.host)

    async def _webfinger(self, acct: webfinger.Acct) -> str:
        """The actor URL of `acct`, by WebFinger."""
        return webfinger.self_link(await self._jrd(acct))

    async def _jrd(self, acct: webfinger.Acct) -> Any:
        """`acct`'s JRD, by WebFinger over https. With allow_private_network (a local
        test federation, where peers may serve plain http) http is tried when https
        cannot connect at all; an https answer, even an error, is final."""
        path = f"/.well-known/webfinger?resource={quote(str(acct), safe=':@')}"
        try:
            jrd = await self._fetcher.get_plain_json(f"https://{acct.host}{path}")
        except FetchStatusError:
            raise
        except FetchRefusedError:
            if not self._allow_private:
                raise
            jrd = await self._fetcher.get_plain_json(f"http://{acct.host}{path}")
        return jrd
