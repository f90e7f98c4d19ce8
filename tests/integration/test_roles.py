"""Roles per group, account tokens, the two-person rule and the audit trail, over real
HTTP: an editor publishes but cannot change roles, a viewer reads the inbox and pledges
but cannot publish, a deletion waits for a second admin, and every action is in the
trail with its account (which the database will not let anyone edit)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pyotp
import pytest

from node.domain.access import Role
from node.runtime import appkeys
from node.services import accounts
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import run_cli

pytestmark = [pytest.mark.db, pytest.mark.integration]
HTML = {"Accept": "text/html"}


def future_call(title: str = "Assembly on the rent cap") -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    return {
        "title": title,
        "summary": "We decide together.",
        "body": "At the **library**.",
        "timezone": "Europe/Berlin",
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(hours=2)).isoformat(),
        "location": {"name": "Library"},
        "urgency": "high",
        "asks": ["turnout"],
        "audience": "public",
    }


class People:
    """Accounts made through invitations, each with a token for the group."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.pool = client.app[appkeys.DB]

    async def group(self) -> int:
        return int(
            await self.pool.fetchval(
                "SELECT id FROM local_actors WHERE name = 'tenants'"
            )
        )

    async def person(
        self, name: str, role: Role, scope: str = "admin"
    ) -> dict[str, str]:
        """An account with `role` in tenants (made from an invitation link), and the
        Authorization header of a token of its own."""
        settings = self.client.app[appkeys.SETTINGS]
        now = datetime.now(UTC)
        link = await accounts.invite(
            self.pool,
            base_url=settings.url,
            now=now,
            name=name,
            local_actor_id=await self.group(),
            role=role,
        )
        secret = link.rsplit("/", 1)[1]
        totp = accounts.new_totp_secret()
        account_id, _ = await accounts.accept(
            self.pool,
            secret,
            name=name,
            now=now,
            password_hash=await accounts.hash_password("a long pass phrase"),
            totp_secret=totp,
        )
        _id, token = await tokens.create(
            self.pool,
            local_actor_id=await self.group(),
            label="laptop",
            account_id=account_id,
            scope=scope,
        )
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(client.app[appkeys.DB], kind="group", name="tenants")
    return client


async def trail(node: Any) -> list[tuple[str | None, str, str | None]]:
    rows = await node.app[appkeys.DB].fetch(
        "SELECT account_name, action, target FROM audit_log ORDER BY id"
    )
    return [(r["account_name"], r["action"], r["target"]) for r in rows]


async def test_roles_decide_what_each_person_may_do(node: Any) -> None:
    people = People(node)
    admin = await people.person("ana", Role.ADMIN)
    editor = await people.person("ben", Role.EDITOR)
    viewer = await people.person("cleo", Role.VIEWER)

    # the editor publishes; the viewer cannot
    resp = await node.post("/api/v1/calls", json=future_call(), headers=editor)
    assert resp.status == 201, await resp.text()
    call = (await resp.json())["id"]
    key = call.rsplit("/", 1)[1]
    resp = await node.post("/api/v1/calls", json=future_call("no"), headers=viewer)
    assert resp.status == 403
    # the viewer reads the inbox and who pledged
    assert (await node.get("/api/v1/inbox", headers=viewer)).status == 200
    assert (
        await node.get(f"/api/v1/calls/{key}/pledges", headers=viewer)
    ).status == 200

    # the editor cannot change roles, invite, or read the trail; the admin can
    for method, path, body in (
        ("PUT", "/api/v1/people/cleo", {"role": "admin"}),
        ("DELETE", "/api/v1/people/ana", None),
        ("POST", "/api/v1/invitations", {"role": "admin"}),
        ("GET", "/api/v1/audit", None),
        ("GET", "/api/v1/people", None),
    ):
        resp = await node.request(method, path, json=body, headers=editor)
        assert resp.status == 403, (method, path)
    assert (
        await people.pool.fetchval(
            "SELECT role FROM group_roles r JOIN accounts a ON a.id = r.account_id "
            "WHERE a.name = 'cleo'"
        )
        == "viewer"
    )
    resp = await node.put("/api/v1/people/cleo", json={"role": "editor"}, headers=admin)
    assert resp.status == 200
    resp = await node.post("/api/v1/calls", json=future_call("now"), headers=viewer)
    assert resp.status == 201
    listed = await (await node.get("/api/v1/people", headers=admin)).json()
    assert {p["name"]: p["role"] for p in listed["people"]} == {
        "ana": "admin",
        "ben": "editor",
        "cleo": "editor",
    }

    # a token's scope caps its account's role
    capped = await people.person("dan", Role.ADMIN, scope="read")
    resp = await node.post("/api/v1/calls", json=future_call("x"), headers=capped)
    assert resp.status == 403
    # the last admin stays: ana cannot take dan's and then her own
    assert (await node.delete("/api/v1/people/dan", headers=admin)).status == 200
    resp = await node.delete("/api/v1/people/ana", headers=admin)
    assert resp.status == 409
    assert (await resp.json())["error"] == "last_admin"
    # a role taken away ends the person's tokens for the group
    assert (await node.get("/api/v1/calls", headers=capped)).status == 401

    # the editor edits and blocks a troll; each is a line with its account
    resp = await node.put(
        f"/api/v1/calls/{key}", json=future_call("Assembly, moved"), headers=editor
    )
    assert resp.status == 200
    troll = "https://troll.example/users/t"
    resp = await node.post("/api/v1/blocks", json={"actor": troll}, headers=editor)
    assert resp.status == 200
    # a viewer cannot block (nothing stored)
    eli = await people.person("eli", Role.VIEWER)
    resp = await node.post("/api/v1/blocks", json={"actor": troll + "2"}, headers=eli)
    assert resp.status == 403
    assert await people.pool.fetchval("SELECT count(*) FROM actor_blocks") == 1

    lines = await trail(node)
    assert ("ben", "publish", call) in lines
    assert ("ben", "edit", call) in lines
    assert ("ben", "block", troll) in lines
    assert ("cleo", "pledges_read", call) in lines
    assert ("ana", "role_changed", "cleo") in lines
    assert ("ana", "role_changed", "dan") in lines
    # refusals change nothing, and leave no line of an action done
    assert {a for who, a, _t in lines if who == "ben"} == {"publish", "edit", "block"}
    assert not [line for line in lines if line[0] == "eli"]


async def test_the_two_person_rule_holds_a_deletion_until_a_second_admin_approves(
    node: Any,
) -> None:
    people = People(node)
    ana = await people.person("ana", Role.ADMIN)
    ben = await people.person("ben", Role.ADMIN)
    resp = await node.post("/api/v1/calls", json=future_call(), headers=ana)
    call = (await resp.json())["id"]
    path = "/api/v1/calls/" + call.rsplit("/", 1)[1]

    resp = await node.put(
        "/api/v1/two-person", json={"actions": ["delete"]}, headers=ana
    )
    assert resp.status == 200
    resp = await node.delete(path, headers=ana)
    assert resp.status == 202
    pending = (await resp.json())["pending"]
    # still there, for everyone
    public = urlsplit(call).path
    assert (await node.get(public, headers=HTML)).status == 200
    assert (await node.get(path, headers=ana)).status == 200
    listed = await (await node.get("/api/v1/pending", headers=ben)).json()
    assert [p["id"] for p in listed["pending"]] == [pending]
    assert listed["pending"][0]["requested_by"] == "ana"
    # whoever asked cannot approve it
    resp = await node.post(f"/api/v1/pending/{pending}/approve", headers=ana)
    assert resp.status == 404
    assert (await node.get(path, headers=ana)).status == 200
    # dropping the rule while it is in force waits for a second admin too
    resp = await node.put("/api/v1/two-person", json={"actions": []}, headers=ana)
    assert resp.status == 202
    # the second admin approves: the call is deleted now
    resp = await node.post(f"/api/v1/pending/{pending}/approve", headers=ben)
    assert resp.status == 200, await resp.text()
    assert (await node.get(path, headers=ana)).status == 404
    assert (await node.get(public, headers=HTML)).status == 410
    # approved once only
    resp = await node.post(f"/api/v1/pending/{pending}/approve", headers=ben)
    assert resp.status == 404

    lines = await trail(node)
    assert ("ana", "delete_requested", call) in lines
    assert ("ben", "approved", f"delete {call}") in lines


async def test_taking_an_admins_role_away_waits_when_the_group_wants_it(
    node: Any,
) -> None:
    people = People(node)
    ana = await people.person("ana", Role.ADMIN)
    ben = await people.person("ben", Role.ADMIN)
    await people.person("cleo", Role.ADMIN)
    resp = await node.put(
        "/api/v1/two-person", json={"actions": ["remove_admin"]}, headers=ana
    )
    assert resp.status == 200
    # a rogue admin tries to push the others out
    resp = await node.delete("/api/v1/people/cleo", headers=ana)
    assert resp.status == 202
    pending = (await resp.json())["pending"]
    role = "SELECT role FROM group_roles r JOIN accounts a ON a.id = r.account_id WHERE a.name = $1"
    assert await people.pool.fetchval(role, "cleo") == "admin"
    resp = await node.post(f"/api/v1/pending/{pending}/refuse", headers=ben)
    assert resp.status == 200
    assert await people.pool.fetchval(role, "cleo") == "admin"
    # the two-person rule needs two admins to be turned on at all
    resp = await node.put("/api/v1/two-person", json={"actions": ["nope"]}, headers=ana)
    assert resp.status == 422


async def test_the_audit_trail_is_append_only_and_printed_by_the_cli(node: Any) -> None:
    people = People(node)
    ana = await people.person("ana", Role.ADMIN)
    resp = await node.post("/api/v1/calls", json=future_call(), headers=ana)
    assert resp.status == 201
    pool = node.app[appkeys.DB]
    for statement in (
        "UPDATE audit_log SET account_name = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await pool.execute(statement)
    assert ("ana", "publish") in [(a, b) for a, b, _c in await trail(node)]

    settings = node.app[appkeys.SETTINGS]
    code, _out, err = await run_cli(settings, "group", "create", "cyclists")
    assert code == 0, err
    code, out, err = await run_cli(settings, "audit")
    assert code == 0, err
    assert re.search(r"\tana\ttenants\tpublish\t", out)
    assert "\tshell\t-\tcli group create\t" in out
    code, out, _err = await run_cli(settings, "audit", "--group", "tenants", "--json")
    assert '"action": "publish"' in out
    assert "cli group create" not in out

    # the group's trail through the API, and no client address anywhere in it
    lines = (await (await node.get("/api/v1/audit", headers=ana)).json())["lines"]
    assert lines[0]["action"] == "publish"
    assert "127.0.0.1" not in str(lines)


async def test_the_admin_pages_of_people_pending_and_the_trail(node: Any) -> None:
    """The same through /admin: an admin invites, approves; an editor's page has no
    people; the operator sees the node's trail."""
    people = People(node)
    await people.person("ben", Role.ADMIN)
    settings = node.app[appkeys.SETTINGS]
    code, out, err = await run_cli(
        settings,
        "account",
        "create",
        "ana",
        "--group",
        "tenants",
        "--role",
        "admin",
        "--operator",
    )
    assert code == 0, err
    path = out.strip().splitlines()[-1].removeprefix(settings.url)
    page = await (await node.get(path, headers=HTML)).text()
    secret = re.search(r'name="totp_secret" value="([A-Z2-7]+)"', page)
    assert secret
    resp = await node.post(
        path,
        data={
            "password": "a long pass phrase",
            "totp_secret": secret.group(1),
            "code": pyotp.TOTP(secret.group(1)).now(),
        },
        headers=HTML,
    )
    assert resp.status == 201
    page = await (await node.get("/admin/people", headers=HTML)).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    resp = await node.post(
        "/admin/people/invite",
        data={"csrf": csrf.group(1), "role": "viewer"},
        headers=HTML,
    )
    link = re.search(r'<code id="invitation-link">([^<]+)</code>', await resp.text())
    assert link
    assert link.group(1).startswith(settings.url + "/admin/invite/")
    page = await (await node.get("/admin/audit", headers=HTML)).text()
    assert "invited" in page
    page = await (await node.get("/admin/audit?scope=node", headers=HTML)).text()
    assert "cli account create" in page
