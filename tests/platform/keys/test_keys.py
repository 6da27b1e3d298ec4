"""``/api/v1/keys``: the secret shown once, listing, changes, revocation and rotation, roles, scoping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from tests.platform.harness import ControlPlaneHarness
from tests.platform.keys.calls import Acme

from trueport.db.models import ApiKey
from trueport.platform.rbac import MATRIX, Permission, Role


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def create(platform: ControlPlaneHarness, acme: Acme, **body: object) -> dict[str, object]:
    response = await platform.client.post("/api/v1/keys", json=body, headers=acme.headers)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_the_secret_is_returned_once(
    platform: ControlPlaneHarness, acme: Acme, capfd: pytest.CaptureFixture[str]
) -> None:
    created = await create(
        platform, acme, name="billing", models=["oa", "an", "oa"], rpm_limit=60, expires_in_s=3600
    )
    secret = created["secret"]
    assert isinstance(secret, str) and secret.startswith(created["prefix"])  # type: ignore[arg-type]
    assert created["models"] == ["an", "oa"]
    assert created["rpm_limit"] == 60 and created["tpm_limit"] is None
    assert created["status"] == "active" and created["revoked_at"] is None
    expires_at = when(str(created["expires_at"]))
    assert timedelta(minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=1)

    read = await platform.client.get(f"/api/v1/keys/{created['id']}", headers=acme.headers)
    listed = await platform.client.get("/api/v1/keys", headers=acme.headers)
    assert read.status_code == 200 and listed.status_code == 200
    assert "secret" not in read.json()
    assert {k: v for k, v in created.items() if k != "secret"} == read.json()
    assert [key["id"] for key in listed.json()["data"]] == [created["id"]]
    assert secret not in read.text + listed.text
    schema = (await platform.client.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    assert "secret" in schema["CreatedKeyOut"]["properties"]
    assert "secret" not in schema["KeyOut"]["properties"]
    logged = capfd.readouterr()
    logs = logged.out + logged.err  # stderr once logging is configured; structlog's default is stdout
    assert "key_created" in logs and secret not in logs


async def test_expiry_can_be_given_as_a_time(platform: ControlPlaneHarness, acme: Acme) -> None:
    at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    created = await create(platform, acme, expires_at=at.isoformat())
    assert when(str(created["expires_at"])) == at


async def test_invalid_creations_are_refused(platform: ControlPlaneHarness, acme: Acme) -> None:
    for body, status, code in (
        ({"models": []}, 400, "invalid_key_request"),
        ({"models": ["  "]}, 400, "invalid_key_request"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, 400, "invalid_key_request"),
        ({"expires_at": "2999-01-01T00:00:00"}, 422, "validation_failed"),  # no time zone
        ({"expires_at": "2999-01-01T00:00:00Z", "expires_in_s": 60}, 422, "validation_failed"),
        ({"rpm_limit": 0}, 422, "validation_failed"),
        ({"tpm_limit": 2**40}, 422, "validation_failed"),
        ({"name": "x" * 201}, 422, "validation_failed"),
        ({"secret": "tp_mine"}, 422, "validation_failed"),
        ({"name": "a\x00b"}, 400, "invalid_request"),  # NUL: refused where it enters
        ({"models": ["o\na"]}, 422, "validation_failed"),
        ({"expires_at": "9999-12-31T23:00:00-12:00"}, 400, "invalid_key_request"),  # year 10000 in UTC
    ):
        response = await platform.client.post("/api/v1/keys", json=body, headers=acme.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    assert (await platform.client.get("/api/v1/keys", headers=acme.headers)).json()["data"] == []


async def test_pages_follow_the_cursor_and_status_filters(platform: ControlPlaneHarness, acme: Acme) -> None:
    ids = [str((await create(platform, acme, name=f"k{i}"))["id"]) for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await platform.client.get("/api/v1/keys", params=params, headers=acme.headers)).json()
        seen += [key["id"] for key in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3

    revoked = await platform.client.post(f"/api/v1/keys/{ids[0]}/revoke", headers=acme.headers)
    assert revoked.json()["status"] == "revoked"
    async with platform.sessions() as session:  # an expiry in the past cannot be set through the API
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(ApiKey).where(ApiKey.id.in_(ids[:2])).values(expires_at=past))
        await session.commit()

    async def listed(status: str) -> list[str]:
        response = await platform.client.get("/api/v1/keys", params={"status": status}, headers=acme.headers)
        assert response.status_code == 200
        assert {key["status"] for key in response.json()["data"]} <= {status}
        return [key["id"] for key in response.json()["data"]]

    assert await listed("revoked") == [ids[0]]  # revoked wins over expired
    assert await listed("expired") == [ids[1]]
    assert await listed("active") == ids[2:]
    bad = await platform.client.get("/api/v1/keys", params={"status": "lost"}, headers=acme.headers)
    assert bad.status_code == 422
    bad = await platform.client.get("/api/v1/keys", params={"cursor": "nonsense"}, headers=acme.headers)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")


async def test_update_changes_only_what_is_sent(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = await create(platform, acme, name="a", models=["oa"], rpm_limit=10, tpm_limit=1000)
    url = f"/api/v1/keys/{created['id']}"

    renamed = await platform.client.patch(url, json={"name": "b", "rpm_limit": 20}, headers=acme.headers)
    assert renamed.status_code == 200
    assert renamed.json() | {"name": "a", "rpm_limit": 10} == {
        k: v for k, v in created.items() if k != "secret"
    }

    at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    cleared = await platform.client.patch(
        url, json={"tpm_limit": None, "models": None, "expires_at": at.isoformat()}, headers=acme.headers
    )
    body = cleared.json()
    assert (body["name"], body["rpm_limit"], body["tpm_limit"], body["models"]) == ("b", 20, None, None)
    assert when(body["expires_at"]) == at
    no_expiry = await platform.client.patch(url, json={"expires_at": None}, headers=acme.headers)
    assert no_expiry.json()["expires_at"] is None

    for bad, status in (
        ({"name": None}, 422),
        ({"prefix": "tp_x"}, 422),
        ({"rpm_limit": -1}, 422),
        ({"models": []}, 400),
        ({"expires_at": "2001-01-01T00:00:00Z"}, 400),
    ):
        response = await platform.client.patch(url, json=bad, headers=acme.headers)
        assert response.status_code == status, bad
    assert (await platform.client.get(url, headers=acme.headers)).json() == no_expiry.json()

    await platform.client.post(f"{url}/revoke", headers=acme.headers)
    final = await platform.client.patch(url, json={"name": "c"}, headers=acme.headers)
    assert (final.status_code, final.json()["error"]["code"]) == (409, "key_inactive")


async def test_revoking_twice_keeps_the_first_time(platform: ControlPlaneHarness, acme: Acme) -> None:
    created = await create(platform, acme)
    first = await platform.client.post(f"/api/v1/keys/{created['id']}/revoke", headers=acme.headers)
    second = await platform.client.post(f"/api/v1/keys/{created['id']}/revoke", headers=acme.headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == "revoked"
    assert first.json() == second.json()


async def test_rotation_copies_the_key_and_shortens_the_old_one(
    platform: ControlPlaneHarness, acme: Acme
) -> None:
    old = await create(platform, acme, name="svc", models=["oa"], rpm_limit=5, tpm_limit=500)
    before = datetime.now(UTC)
    rotated = await platform.client.post(
        f"/api/v1/keys/{old['id']}/rotate", json={"overlap_s": 600}, headers=acme.headers
    )
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["id"] != old["id"] and new["secret"] != old["secret"]
    assert [new[f] for f in ("name", "models", "rpm_limit", "tpm_limit", "expires_at")] == [
        "svc",
        ["oa"],
        5,
        500,
        None,
    ]
    old_now = (await platform.client.get(f"/api/v1/keys/{old['id']}", headers=acme.headers)).json()
    assert old_now["status"] == "active"
    assert before + timedelta(seconds=599) < when(old_now["expires_at"]) < before + timedelta(seconds=610)

    # The old key's expiry never moves later; the new key keeps the old one's expiry.
    again = await platform.client.post(
        f"/api/v1/keys/{old['id']}/rotate", json={"overlap_s": 3600}, headers=acme.headers
    )
    assert when(again.json()["expires_at"]) == when(old_now["expires_at"])
    old_later = (await platform.client.get(f"/api/v1/keys/{old['id']}", headers=acme.headers)).json()
    assert old_later["expires_at"] == old_now["expires_at"]

    # Without a body, the installation's default overlap (a day by default).
    default = await platform.client.post(f"/api/v1/keys/{new['id']}/rotate", headers=acme.headers)
    assert default.status_code == 201
    new_now = (await platform.client.get(f"/api/v1/keys/{new['id']}", headers=acme.headers)).json()
    assert timedelta(hours=23) < when(new_now["expires_at"]) - before <= timedelta(hours=24, minutes=1)

    # An overlap of zero revokes at once; a revoked key cannot be rotated.
    zero = await platform.client.post(
        f"/api/v1/keys/{default.json()['id']}/rotate", json={"overlap_s": 0}, headers=acme.headers
    )
    assert zero.status_code == 201
    gone = (await platform.client.get(f"/api/v1/keys/{default.json()['id']}", headers=acme.headers)).json()
    assert gone["status"] == "revoked"
    conflict = await platform.client.post(f"/api/v1/keys/{gone['id']}/rotate", headers=acme.headers)
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, "key_inactive")
    too_long = await platform.client.post(
        f"/api/v1/keys/{new['id']}/rotate", json={"overlap_s": 31 * 86_400}, headers=acme.headers
    )
    assert too_long.status_code == 422


async def test_foreign_and_malformed_ids_are_not_found(platform: ControlPlaneHarness, acme: Acme) -> None:
    other = await platform.tenant("other")
    stranger = await platform.user("owner@other.test")
    await platform.member(other, stranger, "owner")
    theirs = await platform.client.post("/api/v1/keys", json={}, headers=platform.auth(stranger, other))
    mine = await create(platform, acme)
    for key_id in (theirs.json()["id"], str(uuid.uuid4()), "not-a-uuid", "1' OR '1'='1"):
        for method, path, body in (
            ("GET", "", None),
            ("PATCH", "", {"name": "x"}),
            ("POST", "/revoke", None),
            ("POST", "/rotate", None),
        ):
            response = await platform.client.request(
                method, f"/api/v1/keys/{key_id}{path}", json=body, headers=acme.headers
            )
            assert (response.status_code, response.json()["error"]["code"]) == (404, "key_not_found")
    listed = (await platform.client.get("/api/v1/keys", headers=acme.headers)).json()["data"]
    assert [key["id"] for key in listed] == [mine["id"]]
    still = await platform.client.get(
        f"/api/v1/keys/{theirs.json()['id']}", headers=platform.auth(stranger, other)
    )
    assert still.json()["status"] == "active" and still.json()["name"] == ""


async def test_each_role_may_do_what_the_matrix_says(platform: ControlPlaneHarness, acme: Acme) -> None:
    target = await create(platform, acme, name="target")
    assert (await platform.client.get("/api/v1/keys")).status_code == 401
    for role in Role:
        user = await platform.user(f"{role.value}.role@acme.test")
        await platform.member(acme.tenant, user, role)
        headers = platform.auth(user, acme.tenant)
        read = Permission.KEYS_READ in MATRIX[role]
        write = Permission.KEYS_WRITE in MATRIX[role]
        anyones = Permission.KEYS_MANAGE_ALL in MATRIX[role]  # the owner's key is not theirs
        calls = [
            ("GET", "/api/v1/keys", None, read, 200, "permission_denied"),
            ("GET", f"/api/v1/keys/{target['id']}", None, read, 200, "permission_denied"),
            (
                "PATCH",
                f"/api/v1/keys/{target['id']}",
                {"name": role.value},
                anyones,
                200,
                "not_key_owner" if write else "permission_denied",
            ),
            ("POST", "/api/v1/keys", {"name": role.value}, write, 201, "permission_denied"),
        ]
        for method, path, body, allowed, ok, refusal in calls:
            response = await platform.client.request(method, path, json=body, headers=headers)
            expected = (ok, None) if allowed else (403, refusal)
            got = (response.status_code, None if allowed else response.json()["error"]["code"])
            assert got == expected, (role, method, path)
        if write:
            created = (await platform.client.get("/api/v1/keys", headers=headers)).json()["data"][-1]
            for action, ok in (("rotate", 201), ("revoke", 200)):
                response = await platform.client.post(
                    f"/api/v1/keys/{created['id']}/{action}", headers=headers
                )
                assert response.status_code == ok, (role, action)
        else:
            for action in ("rotate", "revoke"):
                response = await platform.client.post(
                    f"/api/v1/keys/{target['id']}/{action}", headers=headers
                )
                assert response.status_code == 403, (role, action)
    assert Permission.KEYS_WRITE not in MATRIX[Role.AUDITOR]  # the matrix this test relies on
    assert Permission.KEYS_WRITE in MATRIX[Role.MEMBER]
    assert Permission.KEYS_MANAGE_ALL not in MATRIX[Role.MEMBER]
