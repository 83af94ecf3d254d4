"""Who is at the keyboard, across reloads: the page side of the server-side
login sessions of caremgmt.core.sessions.

A Streamlit session (one browser tab, until it reloads) keeps its login
session's id in ``st.session_state``; a reload, a new tab or a typed address
starts a new Streamlit session, which finds the login again through the
HttpOnly cookie. A script cannot set a cookie, so after a login the page hands
a one-use claim code to the app's own route (``ROUTES``, served by the st.App
in streamlit_app.py), whose response sets it. The cookie is HttpOnly (no script
reads it) and SameSite=Strict (no other site's page sends it).

Chosen over a cookie component (such as extra-streamlit-components' cookie
manager) because those write the cookie from JavaScript, which an HttpOnly
cookie by definition cannot be."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from streamlit.web.server.starlette.starlette_server_config import TOKENS_COOKIE_NAME, USER_COOKIE_NAME

from caremgmt.core import sessions
from caremgmt.core.actor import User
from caremgmt.core.db import connect
from pages.ui import drafts
from pages.ui.session import db, login_session_id

SESSION_ROUTE = "/api/session"
_CLAIM = "session_claim"  # a claim code waiting to be handed to the browser
_FORGET_COOKIE = "forget_cookie"
NOTICE = "login_notice"  # why the last login session ended, for the login page
_MUST_CHANGE = "must_change_password"  # this run's session may open only the change of password
_SECOND_FACTOR = "second_factor_step"  # sessions.VERIFY or ENROL: this run's session may open only that
# Streamlit's own identity cookies (st.login, pages/ui/single_sign_on.py): a login
# session of ours replaces them, and a logout drops them with ours.
_IDENTITY_COOKIES = (USER_COOKIE_NAME, TOKENS_COOKIE_NAME)


def sign_in(account: User) -> None:
    """After a successful login (or the first admin's creation): a new login
    session for this tab, its cookie handed over on the next run."""
    session_id, claim = sessions.start(db(), account)
    st.session_state["login_session"] = session_id
    st.session_state["user"] = account
    st.session_state[_CLAIM] = claim
    st.session_state.pop(NOTICE, None)


def identify() -> User | None:
    """The user of this run: this tab's login session if it is still live, else
    the one the browser's cookie names (a reload, a new tab). A session that
    ended meanwhile (logout in another tab, idle, deactivated) logs the tab out,
    leaving the reason for the login page."""
    session_id = login_session_id()
    if session_id is not None:
        live = sessions.current(db(), session_id)
        if live is None:
            reason = sessions.end_reason(db(), session_id)
            _forget_tab(session_id)
            st.session_state[NOTICE] = reason
            return None
    else:
        token = st.context.cookies.get(sessions.COOKIE)
        # Without a browser (AppTest) the cookies are not a real mapping of strings.
        live = sessions.resume(db(), token) if isinstance(token, str) else None
        if live is None:
            return None
        st.session_state["login_session"] = live.id
    st.session_state["user"] = live.user
    # Read from the account at every run: a reset in another tab takes effect at the next click.
    st.session_state[_MUST_CHANGE] = live.must_change_password
    st.session_state[_SECOND_FACTOR] = live.second_factor
    return live.user


def must_change_password() -> bool:
    """Whether this run's login must change its password before anything else (an
    admin reset it): the navigation then offers the change of password only."""
    return bool(st.session_state.get(_MUST_CHANGE))


def second_factor_step() -> str | None:
    """What this run's login still needs of her second factor (read from the database at
    every run): sessions.VERIFY (a code), sessions.ENROL (setting one up), or None."""
    return st.session_state.get(_SECOND_FACTOR)


def sign_out(account: User) -> None:
    """Logout: every login session of the user ends (all her tabs and browsers),
    this tab forgets everything and the browser its cookie. Only a logout drops
    the cookie: a stale tab finding its session ended must not drop the cookie of
    whoever logged in on this browser since."""
    session_id = login_session_id()
    sessions.log_out(db(), account)
    _forget_tab(session_id)
    st.session_state[NOTICE] = "logout"
    st.session_state[_FORGET_COOKIE] = True


def drop_cookies() -> None:
    """Have the browser drop its login cookies at the end of this run (as after a
    logout): for a run with no login of ours, e.g. an identity single sign-on refused."""
    st.session_state[_FORGET_COOKIE] = True


def _forget_tab(session_id: int | None) -> None:
    if session_id is not None:
        drafts.forget_session(session_id)
    language = st.session_state.get("user").language if st.session_state.get("user") else None
    st.session_state.clear()
    if language:  # the login screen stays in the language she was using
        st.session_state["language"] = language


def hand_over_cookie() -> None:
    """Ask the browser (once) to fetch the session cookie for a fresh login, or
    to drop it after a logout. Nothing here is secret to the user: the claim
    code works once, for a minute, and only this tab has it."""
    claim = st.session_state.pop(_CLAIM, None)
    forget = st.session_state.pop(_FORGET_COOKIE, False)
    if claim is None and not forget:
        return
    method, body = ("POST", json.dumps({"claim": claim})) if claim else ("DELETE", "null")
    # Relative to the page's address. st.App serves its routes at the root, so
    # server.baseUrlPath is not supported (the README says so).
    st.html(
        f"<script>fetch({json.dumps(SESSION_ROUTE.lstrip('/'))}, {{method: {json.dumps(method)},"
        f" credentials: 'same-origin', headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}});"
        "</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def _claim(code: str) -> str | None:
    database = connect()
    try:
        return sessions.claim(database, code)
    finally:
        database.close()


def _drop_identity(request: Request, response: Response) -> None:
    """Delete the Streamlit identity cookies the request carries (a large one is
    split into ``name_1``, ``name_2``…), at the path Streamlit set them (the root)."""
    for name in request.cookies:
        base, _, part = name.rpartition("_")
        if name in _IDENTITY_COOKIES or (base in _IDENTITY_COOKIES and part.isdigit()):
            response.delete_cookie(name, path="/", httponly=True, samesite="lax")


async def session_cookie(request: Request) -> Response:
    """POST {"claim": code}: set the session cookie; DELETE: drop it. Either way,
    Streamlit's identity cookies (single sign-on) go: our session replaces them."""
    if not _same_origin(request):
        return Response(status_code=403)
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response = Response(status_code=204)
    if request.method == "DELETE":
        response.delete_cookie(sessions.COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
        _drop_identity(request, response)
        return response
    try:
        code = (await request.json())["claim"]
    except (ValueError, KeyError, TypeError):
        return Response(status_code=400)
    token = await run_in_threadpool(_claim, str(code))
    if token is None:
        return Response(status_code=403)
    response.set_cookie(sessions.COOKIE, token, path="/", secure=secure, httponly=True, samesite="strict")
    _drop_identity(request, response)
    return response


ROUTES = [Route(SESSION_ROUTE, session_cookie, methods=["POST", "DELETE"])]
