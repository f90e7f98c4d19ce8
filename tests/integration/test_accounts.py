"""Organisers' accounts over real HTTP: invitations (one-time, expiring), password with
TOTP and recovery codes, passkeys through the real WebAuthn ceremony (a software
authenticator answers the node's options), sessions listed and ended, disabling an
account, and claiming a group that signed in with its shared token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import structlog

from node.domain.access import Role
from node.runtime import appkeys
from node.services import accounts
from node.services.actors import create_actor
from tests.authenticator import UP, SoftAuthenticator, b64u
from tests.conftest import run_cli

pytestmark = [pytest.mark.db, pytest.mark.integration]
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
PASSWORD = "correct horse battery"


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field"
    return found.group(1)


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(client.app[appkeys.DB], kind="group", name="tenants")
    return client


def origin(client: Any) -> str:
    return str(client.app[appkeys.SETTINGS].url)


async def invite_path(client: Any, **kw: Any) -> str:
    pool, settings = client.app[appkeys.DB], client.app[appkeys.SETTINGS]
    group = await pool.fetchval("SELECT id FROM local_actors WHERE name = 'tenants'")
    kw.setdefault("local_actor_id", group)
    kw.setdefault("role", Role.ADMIN)
    link = await accounts.invite(
        pool, base_url=settings.url, now=datetime.now(UTC), **kw
    )
    return link.removeprefix(settings.url)


async def count(client: Any, table: str) -> int:
    return int(await client.app[appkeys.DB].fetchval(f"SELECT count(*) FROM {table}"))


async def make_password_account(
    client: Any, name: str, path: str, password: str = PASSWORD
) -> tuple[str, list[str]]:
    """Accept an invitation with a password and the TOTP key the page shows: the key and
    the recovery codes shown once."""
    page = await (await client.get(path, headers=HTML)).text()
    secret = field(page, "totp_secret")
    resp = await client.post(
        path,
        data={
            "name": name,
            "password": password,
            "totp_secret": secret,
            "code": pyotp.TOTP(secret).now(),
        },
        headers=HTML,
    )
    assert resp.status == 201, await resp.text()
    codes = re.findall(
        r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", await resp.text()
    )
    assert len(codes) == 10
    return secret, codes


async def sign_out(client: Any) -> None:
    client.session.cookie_jar.clear()


async def sign_in(client: Any, name: str, password: str, code: str) -> Any:
    return await client.post(
        "/admin/login",
        data={"name": name, "password": password, "code": code},
        headers=HTML,
        allow_redirects=False,
    )


async def test_password_with_totp_and_recovery_codes(node: Any) -> None:
    path = await invite_path(node)
    secret, codes = await make_password_account(node, "ana", path)
    assert (await node.get("/admin", allow_redirects=False)).status == 200
    # the link worked once
    again = await node.get(path, headers=JSON)
    assert again.status == 410
    assert (await again.json())["error"] == "invitation_used"
    await sign_out(node)
    sessions = await count(node, "web_sessions")

    # a password alone, a wrong code, a wrong password: the same refusal, no session
    for password, code in (
        ("correct horse battery", ""),
        ("correct horse battery", "000000"),
        ("wrong horse battery!", pyotp.TOTP(secret).now()),
    ):
        resp = await sign_in(node, "ana", password, code)
        assert resp.status == 401
        assert "movement_session" not in resp.cookies
    assert await count(node, "web_sessions") == sessions

    totp = pyotp.TOTP(secret)
    # the code that set the account up is spent; the app's next one is good (a clock
    # one step off is allowed), and good once
    code = totp.at(datetime.now(UTC) + timedelta(seconds=30))
    resp = await sign_in(node, "ana", "correct horse battery", code)
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"] == "/admin"
    await sign_out(node)
    replay = await sign_in(node, "ana", "correct horse battery", code)
    assert replay.status == 401

    # a recovery code opens the account once
    resp = await sign_in(node, "ana", "correct horse battery", codes[0].upper())
    assert resp.status == 303
    await sign_out(node)
    assert (await sign_in(node, "ana", "correct horse battery", codes[0])).status == 401


async def test_sign_in_is_rate_limited_per_account(node: Any) -> None:
    path = await invite_path(node)
    secret, _codes = await make_password_account(node, "ben", path)
    await sign_out(node)
    pool = node.app[appkeys.DB]
    await pool.execute(
        "UPDATE accounts SET failed_signins = $1", accounts.MAX_FAILURES - 1
    )
    resp = await sign_in(node, "ben", "not the password", "123456")
    assert resp.status == 401
    # locked now: even the right password and code wait
    locked = await sign_in(
        node, "ben", "correct horse battery", pyotp.TOTP(secret).now()
    )
    assert locked.status == 429
    assert "account waits" in await locked.text()
    assert await count(node, "web_sessions") == 1  # the one the invitation opened


async def test_invitations_expire_are_single_use_and_unknown_ones_are_refused(
    node: Any,
) -> None:
    expired = await invite_path(node, days=-1)
    resp = await node.get(expired, headers=JSON)
    assert resp.status == 410
    assert (await resp.json())["error"] == "invitation_expired"
    resp = await node.post(
        expired, data={"name": "eve", "password": "x" * 20, "code": "1"}, headers=JSON
    )
    assert resp.status == 410
    resp = await node.get("/admin/invite/not-a-real-secret", headers=JSON)
    assert resp.status == 404
    assert (await resp.json())["error"] == "invitation_unknown"

    # a wrong first code and a short password are shown on the form; nothing is made
    path = await invite_path(node)
    page = await (await node.get(path, headers=HTML)).text()
    secret = field(page, "totp_secret")
    for password, code in (
        ("short", pyotp.TOTP(secret).now()),
        ("long enough pass", "999999"),
    ):
        resp = await node.post(
            path,
            data={
                "name": "eve",
                "password": password,
                "totp_secret": secret,
                "code": code,
            },
            headers=HTML,
        )
        assert resp.status == 422
    assert await count(node, "accounts") == 0
    assert await node.app[appkeys.DB].fetchval(
        "SELECT used_at IS NULL FROM invitations WHERE expires_at > now()"
    )


async def register_passkey(
    node: Any, path: str, name: str
) -> tuple[SoftAuthenticator, Any]:
    device = SoftAuthenticator()
    options = await node.post(f"{path}/passkey/options", json={"name": name})
    assert options.status == 200, await options.text()
    shown = await options.json()
    assert shown["authenticatorSelection"]["userVerification"] == "required"
    credential = device.create(shown, origin(node))
    resp = await node.post(
        f"{path}/passkey", json={"name": name, "credential": credential}
    )
    return device, resp


async def passkey_sign_in(
    node: Any, device: SoftAuthenticator, **kw: Any
) -> tuple[Any, Any]:
    options = await (await node.post("/admin/passkey/options", json={})).json()
    assertion = device.get(options, origin(node), **kw)
    return assertion, await node.post("/admin/passkey", json={"credential": assertion})


async def test_a_passkey_through_the_webauthn_ceremony(node: Any) -> None:
    path = await invite_path(node)
    device, made = await register_passkey(node, path, "cleo")
    assert made.status == 201, await made.text()
    assert len((await made.json())["recovery_codes"]) == 10
    assert (await node.get("/admin", allow_redirects=False)).status == 200
    await sign_out(node)

    assertion, resp = await passkey_sign_in(node, device)
    assert resp.status == 200, await resp.text()
    assert "movement_session" in resp.cookies
    assert (await node.get("/admin", allow_redirects=False)).status == 200
    await sign_out(node)
    sessions = await count(node, "web_sessions")

    # the same assertion again: its challenge is spent
    replay = await node.post("/admin/passkey", json={"credential": assertion})
    assert replay.status == 400
    assert (await replay.json())["error"] == "challenge_used"
    # a challenge the node never issued
    forged = device.get(
        {"rpId": device.rp_id, "challenge": b64u(b"x" * 32)}, origin(node)
    )
    resp = await node.post("/admin/passkey", json={"credential": forged})
    assert (await resp.json())["error"] == "challenge_unknown"
    # without user verification (someone else's finger on the key)
    _a, resp = await passkey_sign_in(node, device, flags=UP)
    assert resp.status == 401
    # a cloned authenticator: its counter goes back
    device.sign_count = 0
    _a, resp = await passkey_sign_in(node, device)
    assert resp.status == 401
    # another origin (a phishing page relaying the ceremony)
    options = await (await node.post("/admin/passkey/options", json={})).json()
    phished = device.get(options, "https://tenants-login.example")
    resp = await node.post("/admin/passkey", json={"credential": phished})
    assert resp.status == 401
    # another key claiming to be the same person
    stranger = SoftAuthenticator()
    stranger.rp_id, stranger.user_handle = device.rp_id, device.user_handle
    _a, resp = await passkey_sign_in(node, stranger)
    assert resp.status == 401
    junks: list[dict[str, Any]] = [
        {},
        {"credential": "x"},
        {"credential": {"response": {}}},
    ]
    for junk in junks:
        resp = await node.post("/admin/passkey", json=junk)
        assert resp.status == 400
        assert (await resp.json())["error"] == "invalid_credential"
    assert await count(node, "web_sessions") == sessions


async def test_a_replayed_registration_makes_nothing(node: Any) -> None:
    path = await invite_path(node)
    device = SoftAuthenticator()
    shown = await (
        await node.post(f"{path}/passkey/options", json={"name": "dan"})
    ).json()
    credential = device.create(shown, origin(node))
    tampered = dict(credential, response=dict(credential["response"]))
    tampered["response"]["clientDataJSON"] = b64u(
        b'{"type":"webauthn.create","challenge":"%s","origin":"http://evil.example"}'
        % shown["challenge"].encode()
    )
    resp = await node.post(
        f"{path}/passkey", json={"name": "dan", "credential": tampered}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "passkey_invalid"
    # its challenge was used up by the failed attempt
    resp = await node.post(
        f"{path}/passkey", json={"name": "dan", "credential": credential}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "challenge_used"
    assert await count(node, "accounts") == 0
    assert await count(node, "passkeys") == 0


async def test_sessions_are_listed_and_ended_one_by_one_or_all(node: Any) -> None:
    path = await invite_path(node)
    secret, _codes = await make_password_account(node, "fay", path)
    first = node.session.cookie_jar.filter_cookies(node.make_url("/"))[
        "movement_session"
    ].value
    await sign_out(node)
    totp = pyotp.TOTP(secret)
    code = totp.at(datetime.now(UTC) + timedelta(seconds=30))
    assert (await sign_in(node, "fay", "correct horse battery", code)).status == 303
    page = await (await node.get("/admin/account", headers=HTML)).text()
    ids = re.findall(r'name="session" value="([0-9a-f]{16})"', page)
    assert len(ids) == 2
    csrf = field(page, "csrf")
    from node.storage.sessions import session_id

    resp = await node.post(
        "/admin/account/sessions/end",
        data={"csrf": csrf, "session": session_id(first)},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert await count(node, "web_sessions") == 1
    assert (await node.get("/admin", allow_redirects=False)).status == 200
    resp = await node.post(
        "/admin/account/sessions/end",
        data={"csrf": csrf, "session": "all"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/admin/login"
    assert await count(node, "web_sessions") == 0


async def test_a_disabled_accounts_sessions_and_tokens_fail_at_once(node: Any) -> None:
    path = await invite_path(node)
    await make_password_account(node, "gus", path)
    page = await (await node.get("/admin/account", headers=HTML)).text()
    resp = await node.post(
        "/admin/account/tokens",
        data={
            "csrf": field(page, "csrf"),
            "label": "laptop",
            "scope": "write",
            "days": "30",
        },
        headers=HTML,
    )
    token = re.search(r'<code id="new-token">(mn_[^<]+)</code>', await resp.text())
    assert token
    auth = {"Authorization": f"Bearer {token.group(1)}"}
    assert (await node.get("/api/v1/calls", headers=auth)).status == 200
    made = await node.app[appkeys.DB].fetchval(
        "SELECT count(*) FROM audit_log WHERE account_name = 'gus' AND action = 'token_made'"
    )
    assert made == 1

    code, out, err = await run_cli(
        node.app[appkeys.SETTINGS], "account", "disable", "gus"
    )
    assert code == 0, err
    assert "disabled" in out
    assert (await node.get("/admin", allow_redirects=False)).headers["Location"] == (
        "/admin/login"
    )
    assert (await node.get("/api/v1/calls", headers=auth)).status == 401
    assert await count(node, "web_sessions") == 0


async def test_the_cli_makes_accounts_and_lists_them(node: Any) -> None:
    settings = node.app[appkeys.SETTINGS]
    code, out, err = await run_cli(
        settings, "account", "create", "hana", "--group", "tenants", "--role", "editor"
    )
    assert code == 0, err
    link = out.strip().splitlines()[-1]
    assert link.startswith(settings.url + "/admin/invite/")
    path = link.removeprefix(settings.url)
    code, out, _err = await run_cli(settings, "account", "list")
    assert "hana\tinvited until " in out
    assert "tenants:editor" in out
    # the name was chosen by the operator: the form's name is ignored
    await make_password_account(node, "someone-else", path)
    code, out, _err = await run_cli(settings, "account", "list")
    assert "hana\tactive\tpassword+TOTP\ttenants:editor" in out
    assert "invited until" not in out
    assert "someone-else" not in out
    code, _out, err = await run_cli(settings, "account", "create", "hana")
    assert code == 1
    assert "taken" in err


async def test_claiming_a_group_ends_its_shared_tokens(node: Any) -> None:
    code, out, err = await run_cli(
        node.app[appkeys.SETTINGS],
        "token",
        "create",
        "--actor",
        "tenants",
        "--label",
        "old",
    )
    assert code == 0, err
    shared = out.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {shared}"}
    assert (await node.get("/api/v1/calls", headers=auth)).status == 200
    resp = await node.post(
        "/admin/login", data={"token": shared}, allow_redirects=False
    )
    assert resp.status == 303
    page = await (await node.get("/admin", headers=HTML)).text()
    assert "Claim it as your own account" in page
    page = await (await node.get("/admin/claim", headers=HTML)).text()
    resp = await node.post(
        "/admin/claim", data={"csrf": field(page, "csrf")}, allow_redirects=False
    )
    assert resp.status == 303
    path = resp.headers["Location"]
    # until the account is made, the token still works
    assert (await node.get("/api/v1/calls", headers=auth)).status == 200
    await make_password_account(node, "ida", path)
    assert (await node.get("/api/v1/calls", headers=auth)).status == 401
    role = await node.app[appkeys.DB].fetchval(
        "SELECT role FROM group_roles JOIN accounts a ON a.id = account_id WHERE a.name = 'ida'"
    )
    assert role == "admin"


async def test_a_second_passkey_needs_the_session_and_its_csrf_token(node: Any) -> None:
    path = await invite_path(node)
    await make_password_account(node, "jo", path)
    page = await (await node.get("/admin/account", headers=HTML)).text()
    csrf = re.search(r'data-csrf="([^"]+)"', page)
    assert csrf
    options = "/admin/account/passkey/options"
    assert (await node.post(options, json={})).status == 403  # no CSRF token
    resp = await node.post(
        options,
        json={},
        headers={"X-CSRF-Token": csrf.group(1), "Origin": "https://evil.example"},
    )
    assert resp.status == 403
    shown = await (
        await node.post(options, json={}, headers={"X-CSRF-Token": csrf.group(1)})
    ).json()
    device = SoftAuthenticator()
    credential = device.create(shown, origin(node))
    resp = await node.post(
        "/admin/account/passkey",
        json={"credential": credential, "label": "phone"},
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert resp.status == 201, await resp.text()
    await sign_out(node)
    # signed out, the same ceremony is refused
    assert (await node.post(options, json={})).status == 401
    _a, resp = await passkey_sign_in(node, device)
    assert resp.status == 200
    # hostile sign-in bodies: a clear refusal, never a 5xx
    for data in (
        {"name": "jo", "password": "p" * 100_000, "code": "1"},
        {"name": "\x00" * 50, "password": "x", "code": "x"},
        {"name": "jo' OR 1=1 --", "password": "x", "code": "x"},
    ):
        resp = await node.post("/admin/login", data=data, headers=HTML)
        assert 400 <= resp.status < 500, data


async def test_a_client_begins_a_bounded_number_of_passkey_ceremonies(
    node: Any,
) -> None:
    statuses = [
        (await node.post("/admin/passkey/options", json={})).status for _ in range(32)
    ]
    assert statuses[:30] == [200] * 30
    assert statuses[30:] == [429, 429]
    assert await count(node, "webauthn_challenges") == 30


async def test_an_invitations_secret_is_never_logged(node: Any) -> None:
    path = await invite_path(node)
    secret = path.rsplit("/", 1)[1]
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        await make_password_account(node, "kim", path)
    paths = {e.get("path") for e in logs if e.get("event") == "request"}
    assert "/admin/invite/…" in paths
    assert secret not in str(logs)
    trail = await node.app[appkeys.DB].fetch("SELECT target, detail FROM audit_log")
    assert secret not in str([dict(r) for r in trail])


async def test_someone_guessing_passwords_never_locks_the_owners_passkey_out(
    node: Any,
) -> None:
    path = await invite_path(node)
    device, made = await register_passkey(node, path, "lee")
    assert made.status == 201
    await sign_out(node)
    statuses = [
        (await sign_in(node, "lee", f"guess number {i}", "123456")).status
        for i in range(accounts.MAX_FAILURES + 1)
    ]
    assert statuses[-1] == 429  # the password way waits now
    locked = await node.app[appkeys.DB].fetchval(
        "SELECT locked_until > now() FROM accounts WHERE name = 'lee'"
    )
    assert locked
    # the owner is another client than the guesser: their own per-client limit is fresh
    node.app[appkeys.LIMITS].failed_auth._buckets.clear()
    _a, resp = await passkey_sign_in(node, device)
    assert resp.status == 200
