"""Self-service password change on a real uvicorn server: the web form (with CSRF) and the API endpoint."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.web.conftest import PASSWORD, sign_in

NEW = "a brand new passphrase"


def _csrf(http: httpx.Client, path: str) -> str:
    page = http.get(path)
    assert page.status_code == 200, page.text
    return re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]


def _sign_in(http: httpx.Client, password: str) -> int:
    reply = http.post(
        "/ui/login/password",
        data={"username": "olga", "password": password, "csrf": _csrf(http, "/ui/login")},
    )
    return reply.status_code


def _alert(reply: httpx.Response) -> str:
    return re.search(r'role="alert">([^<]*)<', reply.text).group(1)


def test_the_account_form_changes_the_password(account: str) -> None:
    with httpx.Client(base_url=account, timeout=60) as http:
        assert http.get("/ui/account").status_code == 303, "signed-out visitors are sent to sign in"
        assert _sign_in(http, PASSWORD) == 303
        csrf = _csrf(http, "/ui/account")
        form = {"current": PASSWORD, "new": NEW, "confirm": NEW}

        assert http.post("/ui/account/password", data=form).status_code == 403, "no CSRF token"
        wrong = http.post("/ui/account/password", data={**form, "current": "not it at all", "csrf": csrf})
        assert wrong.status_code == 403 and _alert(wrong) == "The current password is wrong."
        differ = http.post("/ui/account/password", data={**form, "confirm": NEW + "!", "csrf": csrf})
        assert differ.status_code == 400 and _alert(differ) == "The new passwords differ."
        short = http.post(
            "/ui/account/password", data={**form, "new": "short", "confirm": "short", "csrf": csrf}
        )
        assert short.status_code == 400 and "at least 8 characters" in _alert(short)

        done = http.post("/ui/account/password", data={**form, "csrf": csrf})
        assert done.status_code == 200 and "Your password was changed." in done.text
        assert http.get("/ui/dashboard").status_code == 200, "the session stays signed in"

    with httpx.Client(base_url=account, timeout=60) as http:
        assert _sign_in(http, PASSWORD) == 401, "the old password no longer signs in"
    with httpx.Client(base_url=account, timeout=60) as http:
        assert _sign_in(http, NEW) == 303


def test_the_api_changes_the_callers_password_and_audits_it(account: str, tmp_path: Path) -> None:
    from quanta.access.session import open_service

    service = open_service(tmp_path / "mesh")
    token = service.create_token("olga").token
    service.store.engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=account, headers=headers, timeout=60) as http:
        wrong = http.post("/api/v1/me/password", json={"currentPassword": "nope nope", "newPassword": NEW})
        assert wrong.status_code == 403 and wrong.json()["error"] == "WrongPassword"
        short = http.post("/api/v1/me/password", json={"currentPassword": PASSWORD, "newPassword": "short"})
        assert short.status_code == 400 and "at least 8" in short.json()["detail"]
        changed = http.post("/api/v1/me/password", json={"currentPassword": PASSWORD, "newPassword": NEW})
        assert changed.status_code == 204
        assert http.get("/api/v1/me").json()["name"] == "olga", "the token stays valid"
    anonymous = httpx.post(
        f"{account}/api/v1/me/password", json={"currentPassword": NEW, "newPassword": PASSWORD}
    )
    assert anonymous.status_code == 401

    service = open_service(tmp_path / "mesh")
    reasons = [
        (e.decision, e.reason) for e in service.audit(principal="olga", limit=10) if e.action == "account"
    ]
    service.store.engine.dispose()
    assert reasons[:2] == [
        ("allow", "password set"),
        ("deny", "password change refused: wrong current password"),
    ]
    files = list((tmp_path / "mesh" / ".quanta").glob("registry.db*"))
    assert files and all(NEW.encode() not in f.read_bytes() for f in files)


def test_changing_the_password_in_the_browser(account: str, page) -> None:
    sign_in(page, account)
    page.get_by_role("link", name="My account").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").filter(has_text="Your password was changed.").is_visible()
