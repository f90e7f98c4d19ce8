"""Images end to end: uploads through the API and /admin are re-encoded with their metadata
left behind, refused (and nothing kept) when hostile, attached to a call as Mastodon reads
attachments, set as a group's avatar and header (its followers get an Update), served with
a safe type, and kept in a real S3-compatible store (moto_server) when one is configured."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import free_port, until
from tests.integration.test_admin_ui import call_form, sign_in
from tests.integration.test_movement import CALL, _follow
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(width: int = 1200, height: int = 800, *, gps: bool = True) -> bytes:
    """A JPEG as a phone makes it: rotated by its EXIF orientation, with a GPS position
    and a camera comment in its metadata."""
    image = Image.new("RGB", (width, height), (180, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # display rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (47.0, 36.0, 13.0), 3: "W", 4: (122.0, 19.0, 46.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"shot at the safe house")
    return out.getvalue()


def _form(data: bytes, purpose: str = "attachment", name: str = "x.jpg") -> Any:
    form = aiohttp.FormData()
    form.add_field("purpose", purpose)
    form.add_field("file", io.BytesIO(data), filename=name, content_type="image/jpeg")
    return form


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def node(make_client: Any, tmp_path: Path) -> Any:
    client = await make_client(media_dir=tmp_path / "media")
    pool = client.app[appkeys.DB]
    for name in ("tenants", "bikes"):
        group = await create_actor(pool, kind="group", name=name, display_name=name)
        _id, secret = await tokens.create(pool, local_actor_id=group.id, label="t")
        setattr(client, name, secret)
    await create_actor(pool, kind="cluster", name="housing")
    await create_actor(pool, kind="cluster", name="transport")
    return client


async def _upload(
    node: Any, token: str, data: bytes, purpose: str = "attachment"
) -> Any:
    return await node.post(
        "/api/v1/media", data=_form(data, purpose), headers=_auth(token)
    )


async def _kept(node: Any, tmp_path: Path) -> tuple[int, list[str]]:
    rows = await node.app[appkeys.DB].fetchval("SELECT count(*) FROM media")
    folder = tmp_path / "media"
    return rows, sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_an_upload_is_reencoded_oriented_and_stripped_of_its_metadata(
    node: Any, tmp_path: Path
) -> None:
    resp = await _upload(node, node.tenants, photo())
    assert resp.status == 201, await resp.text()
    uploaded = await resp.json()
    assert uploaded["mediaType"] == "image/jpeg"
    # the EXIF orientation is applied: the 1200x800 landscape is an 800x1200 portrait
    assert (uploaded["width"], uploaded["height"]) == (800, 1200)
    served = await node.get(f"/media/{uploaded['id']}")
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    data = await served.read()
    image = Image.open(io.BytesIO(data))
    assert image.size == (800, 1200)
    assert not image.getexif(), "no EXIF at all: no GPS, no camera, no orientation"
    assert "comment" not in image.info
    assert "exif" not in image.info
    assert b"safe house" not in data
    assert b"PhoneMaker" not in data
    assert (tmp_path / "media" / uploaded["id"]).read_bytes() == data
    # a name is ours and random: nothing of the sender's file name
    assert uploaded["id"] != "x.jpg"
    assert uploaded["id"].endswith(".jpg")


async def test_a_large_image_is_fitted_and_transparency_becomes_png(node: Any) -> None:
    big = io.BytesIO()
    Image.new("RGBA", (5000, 3000), (0, 0, 0, 0)).save(big, "PNG")
    resp = await _upload(node, node.tenants, big.getvalue(), "header")
    uploaded = await resp.json()
    assert resp.status == 201, uploaded
    assert uploaded["mediaType"] == "image/png"
    assert (uploaded["width"], uploaded["height"]) == (833, 500)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            415,
            "unsupported_media",
        ),
        (
            b"<html><script>steal()</script></html>" + b"\xff\xd8\xff" * 10,
            415,
            "unsupported_media",
        ),
        (b"GIF89a" + b"\x00" * 20, 415, "unsupported_media"),
    ],
    ids=["svg-with-script", "html-polyglot", "truncated-gif"],
)
async def test_what_is_not_an_image_is_refused_and_nothing_is_kept(
    node: Any, tmp_path: Path, data: bytes, status: int, code: str
) -> None:
    before = await _kept(node, tmp_path)
    resp = await _upload(node, node.tenants, data)
    assert resp.status == status
    assert (await resp.json())["error"] == code
    assert await _kept(node, tmp_path) == before


async def test_a_decompression_bomb_costs_a_header_read(
    node: Any, tmp_path: Path
) -> None:
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 Mpx in ~50 KB
    assert len(bomb.getvalue()) < 100_000
    resp = await _upload(node, node.tenants, bomb.getvalue())
    assert resp.status == 422
    assert (await resp.json())["error"] == "too_many_pixels"
    assert await _kept(node, tmp_path) == (0, [])


async def test_too_many_bytes_without_a_token_or_with_a_bad_purpose(
    node: Any, tmp_path: Path
) -> None:
    huge = os.urandom(12 * 1024 * 1024)
    resp = await _upload(node, node.tenants, huge)
    assert resp.status == 413
    # without credentials the 1 MiB bound stands: the body is refused before anything
    resp = await node.post("/api/v1/media", data=_form(huge))
    assert resp.status == 413
    resp = await node.post("/api/v1/media", data=_form(photo()))
    assert resp.status == 401
    resp = await _upload(node, node.tenants, photo(), "wallpaper")
    assert resp.status == 422
    assert (await resp.json())["error"] == "invalid_purpose"
    resp = await node.post("/api/v1/media", data=photo(), headers=_auth(node.tenants))
    assert resp.status == 415
    assert await _kept(node, tmp_path) == (0, [])


async def test_a_call_carries_its_poster_as_an_attachment_mastodon_shows(
    node: Any, peer: Peer
) -> None:
    peer.add("alice")
    await _follow(node, peer, "alice", "tenants")
    poster = await (await _upload(node, node.tenants, photo())).json()
    alt = "A crowd with banners on the city hall steps"
    call = CALL | {"images": [{"media": poster["id"], "alt": alt}]}
    resp = await node.post("/api/v1/calls", json=call, headers=_auth(node.tenants))
    assert resp.status == 201, await resp.text()
    obj = (await resp.json())["object"]
    assert obj["attachment"] == [
        {
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": poster["url"],
            "name": alt,
            "width": 800,
            "height": 1200,
        }
    ]
    await until(lambda: len(peer.activities("Create")) == 1)
    assert peer.activities("Create")[0]["object"]["attachment"][0]["name"] == alt
    page = await node.get(
        obj["id"].removeprefix(str(node.app[appkeys.SETTINGS].url)),
        headers={"Accept": "text/html"},
    )
    html = await page.text()
    assert f'src="/media/{poster["id"]}" alt="{alt}"' in html
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]


async def test_an_image_must_be_the_groups_own_and_described(node: Any) -> None:
    theirs = await (await _upload(node, node.bikes, photo())).json()
    before = await node.app[appkeys.DB].fetchval("SELECT count(*) FROM objects")
    for images, field in (
        ([{"media": theirs["id"], "alt": "their poster"}], "images.0.media"),
        ([{"media": "A" * 22 + ".jpg", "alt": "made up"}], "images.0.media"),
        ([{"media": theirs["id"]}], "images.0.alt"),
        ([{"media": "../../etc/passwd", "alt": "x"}], "images.0.media"),
    ):
        resp = await node.post(
            "/api/v1/calls", json=CALL | {"images": images}, headers=_auth(node.tenants)
        )
        assert resp.status == 422, images
        fields = [f["field"] for f in (await resp.json())["fields"]]
        assert field in fields, (images, fields)
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM objects") == before


async def test_avatar_and_header_reach_the_actor_document_and_its_followers(
    node: Any, peer: Peer
) -> None:
    peer.add("alice")
    await _follow(node, peer, "alice", "tenants")
    avatar = await (await _upload(node, node.tenants, photo(), "avatar")).json()
    header = await (await _upload(node, node.tenants, photo(), "header")).json()
    assert max(avatar["width"], avatar["height"]) == 400
    resp = await node.put(
        "/api/v1/profile",
        json={"avatar": avatar["id"], "header": header["id"]},
        headers=_auth(node.tenants),
    )
    assert resp.status == 200, await resp.text()
    me = f"{node.app[appkeys.SETTINGS].url}/actors/tenants"
    doc = await (
        await node.get(
            "/actors/tenants",
            headers=peer.sign_get("alice", me),
        )
    ).json()
    assert doc["icon"] == {
        "type": "Image",
        "url": avatar["url"],
        "mediaType": "image/jpeg",
    }
    assert doc["image"]["url"] == header["url"]
    await until(lambda: len(peer.activities("Update")) == 1)
    assert peer.activities("Update")[0]["object"]["icon"]["url"] == avatar["url"]
    page = await (
        await node.get("/actors/tenants", headers={"Accept": "text/html"})
    ).text()
    assert f'class="avatar" src="{avatar["url"]}"' in page
    # an attachment upload, or another group's avatar, is not this group's avatar
    other = await (await _upload(node, node.bikes, photo(), "avatar")).json()
    for wrong in (header["id"], other["id"]):
        resp = await node.put(
            "/api/v1/profile", json={"avatar": wrong}, headers=_auth(node.tenants)
        )
        assert resp.status == 422
        assert (await resp.json())["error"] == "unknown_image"
    # a field left out stays; null removes
    resp = await node.put(
        "/api/v1/profile", json={"header": None}, headers=_auth(node.tenants)
    )
    assert await resp.json() == {"avatar": avatar["url"], "header": None}


async def test_the_publishing_form_uploads_a_described_image(ui: Any) -> None:
    csrf = await sign_in(ui)
    form = aiohttp.FormData()
    for key, value in call_form(csrf).items():
        form.add_field(key, value)
    form.add_field("image_file", photo(), filename="p.jpg", content_type="image/jpeg")
    resp = await ui.post("/admin/call/new", data=form, allow_redirects=False)
    assert resp.status == 422, "an image without alt text is refused"
    assert "describe the new image" in await resp.text()
    form = aiohttp.FormData()
    for key, value in (call_form(csrf) | {"image_alt": "Our banner"}).items():
        form.add_field(key, value)
    form.add_field("image_file", photo(), filename="p.jpg", content_type="image/jpeg")
    resp = await ui.post("/admin/call/new", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    body = await ui.app[appkeys.DB].fetchval("SELECT body FROM objects")
    assert body["attachment"][0]["name"] == "Our banner"
    # and the group's avatar from the dashboard
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("purpose", "avatar")
    form.add_field("file", photo(), filename="a.jpg", content_type="image/jpeg")
    resp = await ui.post("/admin/media", data=form, allow_redirects=False)
    assert resp.status == 303
    icon = await ui.app[appkeys.DB].fetchval(
        "SELECT icon_url FROM local_actors WHERE name = 'tenants'"
    )
    assert icon is not None
    assert icon.endswith(".jpg")


@pytest.fixture
async def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real S3-compatible server (moto_server, its own process) on loopback."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("moto_server")),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing-key",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
    }.items():
        monkeypatch.setenv(var, value)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(endpoint) as resp:
                        if resp.status < 500:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_images_live_in_an_s3_compatible_store_when_one_is_set(
    make_client: Any, s3: str, tmp_path: Path
) -> None:
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3", endpoint_url=s3, region_name="us-east-1"
    ) as client:
        await client.create_bucket(Bucket="movement-media")
        node = await make_client(
            media_s3_bucket="movement-media",
            media_s3_endpoint=s3,
            media_dir=tmp_path / "unused",
        )
        pool = node.app[appkeys.DB]
        group = await create_actor(pool, kind="group", name="tenants")
        _id, secret = await tokens.create(pool, local_actor_id=group.id, label="t")
        resp = await _upload(node, secret, photo())
        assert resp.status == 201, await resp.text()
        uploaded = await resp.json()
        stored = await client.get_object(
            Bucket="movement-media", Key=f"media/{uploaded['id']}"
        )
        assert stored["ContentType"] == "image/jpeg"
        async with stored["Body"] as body:
            data = await body.read()
        served = await node.get(f"/media/{uploaded['id']}")
        assert served.status == 200
        assert await served.read() == data
        assert not (tmp_path / "unused").exists(), "nothing on the local disk"
        missing = await node.get("/media/" + "B" * 22 + ".jpg")
        assert missing.status == 404


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=zzz", b"--not-the-boundary\r\n\r\nx"),
        (
            "multipart/form-data",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--",
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
        ),
    ],
    ids=["wrong-boundary", "no-boundary", "part-without-name"],
)
async def test_a_broken_multipart_body_is_a_400_anywhere_a_form_is_read(
    node: Any, content_type: str, body: bytes
) -> None:
    for path in ("/admin/login", "/api/v1/media"):
        resp = await node.post(
            path,
            data=body,
            headers={
                "Content-Type": content_type,
                "Authorization": f"Bearer {node.tenants}",
            },
        )
        assert resp.status == 400, (path, await resp.text())
        assert (await resp.json())["error"] == "bad_multipart"
