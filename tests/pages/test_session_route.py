"""The app's own route that sets the login cookie (pages.ui.sign_in), called as
the server calls it: an ASGI request, as a browser (or an attacker) sends it."""

import asyncio
import json

from starlette.requests import Request

from caremgmt.core import sessions
from pages.ui.sign_in import session_cookie

HOST = "127.0.0.1:8501"


def call(method: str, body: object = None, origin: str | None = f"http://{HOST}", proto: str | None = None):
    headers = [("host", HOST), ("content-type", "application/json")]
    if origin:
        headers.append(("origin", origin))
    if proto:
        headers.append(("x-forwarded-proto", proto))
    payload = json.dumps(body).encode() if body is not None else b"not json"
    scope = {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": "/api/session",
        "query_string": b"",
        "server": ("127.0.0.1", 8501),
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }

    async def receive():
        return {"type": "http.request", "body": payload, "more_body": False}

    return asyncio.run(session_cookie(Request(scope, receive)))


def cookie_of(response) -> str:
    return response.headers.get("set-cookie", "")


def test_a_fresh_claim_sets_an_httponly_strict_cookie_that_resumes_the_login(db, frontdesk):
    _, claim = sessions.start(db, frontdesk)
    response = call("POST", {"claim": claim})
    assert response.status_code == 204
    cookie = cookie_of(response)
    assert cookie.startswith("caremgmt_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # plain http on localhost
    token = cookie.split(";")[0].split("=", 1)[1]
    assert sessions.resume(db, token).user == frontdesk
    assert call("POST", {"claim": claim}).status_code == 403  # a claim works once


def test_behind_a_tls_proxy_the_cookie_is_secure(db, frontdesk):
    _, claim = sessions.start(db, frontdesk)
    assert "Secure" in cookie_of(call("POST", {"claim": claim}, proto="https"))


def test_another_sites_page_cannot_use_a_claim(db, frontdesk):
    _, claim = sessions.start(db, frontdesk)
    refused = call("POST", {"claim": claim}, origin="https://evil.example")
    assert refused.status_code == 403 and not cookie_of(refused)
    assert call("POST", {"claim": claim}).status_code == 204  # the claim was not spent by the refusal


def test_made_up_claims_and_bodies_are_refused(db, frontdesk):
    assert call("POST", {"claim": "guess"}).status_code == 403
    assert call("POST", {"nothing": 1}).status_code == 400
    assert call("POST", None).status_code == 400


def test_logout_drops_the_cookie(db):
    response = call("DELETE", None)
    assert response.status_code == 204
    assert cookie_of(response).startswith('caremgmt_session="";') and "Max-Age=0" in cookie_of(response)
