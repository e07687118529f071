"""Password sign-in on a real uvicorn server: the session it starts, refusals, CSRF, and the browser."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.web.conftest import PASSWORD, sign_in


def _form_csrf(http: httpx.Client) -> str:
    page = http.get("/ui/login")
    assert page.status_code == 200
    tokens = set(re.findall(r'name="csrf" value="([^"]+)"', page.text))
    assert len(tokens) == 1  # both forms carry the same token
    return tokens.pop()


def test_right_password_starts_a_session(account: str) -> None:
    with httpx.Client(base_url=account, timeout=60) as http:
        assert http.get("/ui/dashboard").status_code == 303  # protected: sends to the sign-in page
        reply = http.post(
            "/ui/login/password?next=/ui/dashboard",
            data={"username": "olga", "password": PASSWORD, "csrf": _form_csrf(http)},
        )
        assert reply.status_code == 303 and reply.headers["location"] == "/ui/dashboard"
        cookie = reply.headers["set-cookie"].lower()
        assert "quanta_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        dashboard = http.get("/ui/dashboard")
        assert dashboard.status_code == 200 and "olga" in dashboard.text


def test_wrong_password_unknown_user_and_missing_csrf_are_refused(account: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=account, timeout=60) as http:
        answers = []
        for username, password in (("olga", "not the password"), ("nobody", PASSWORD), ("carl", PASSWORD)):
            reply = http.post(
                "/ui/login/password",
                data={"username": username, "password": password, "csrf": _form_csrf(http)},
            )
            assert reply.status_code == 401 and "quanta_session" not in http.cookies
            answers.append(re.search(r'role="alert">([^<]*)<', reply.text).group(1))
        assert answers == ["Wrong username or password."] * 3  # one message: no user enumeration
        assert http.get("/ui/dashboard").status_code == 303

        _form_csrf(http)  # the CSRF cookie is set, but the form omits the token
        reply = http.post("/ui/login/password", data={"username": "olga", "password": PASSWORD})
        assert reply.status_code == 403 and "quanta_session" not in http.cookies

    files = list((tmp_path / "mesh" / ".quanta").glob("registry.db*"))  # with any -wal / -journal file
    assert files and all(PASSWORD.encode() not in f.read_bytes() for f in files)


def test_password_sign_in_in_the_browser(account: str, page) -> None:
    sign_in(page, account)
    page.goto(account + "/ui/dashboard")
    assert page.url == account + "/ui/dashboard"
    assert page.get_by_role("button", name="Sign out").is_visible()
