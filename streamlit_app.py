"""Entry point: the server (Streamlit plus the route that sets the login cookie),
and each script run: first-run setup or login, the navigation each role may
see, and the one database connection of the run.

`streamlit run streamlit_app.py` finds ``app`` below and serves it; each script
run executes this file as ``__main__`` and draws the page."""

import logging

import streamlit as st

from caremgmt.core import auth, policy, reference, sessions
from caremgmt.core.actor import User
from caremgmt.core.db import db_path
from caremgmt.core.i18n import LANGUAGES, t
from caremgmt.setup import ensure_initialized
from pages.ui.actions import LOG, Form, errors_reported, flash, show_flash, write
from pages.ui.formatting import literal
from pages.ui.second_factor import codes_to_show
from pages.ui.session import db, language, script_run, tr
from pages.ui.sign_in import ROUTES, hand_over_cookie, identify, must_change_password, second_factor_step, sign_out
from pages.ui.single_sign_on import sign_in_with_identity

if __name__ != "__main__":  # imported by the server for its ASGI app
    from streamlit.runtime.pages_manager import PagesManager

    # Our folder is called pages/ (the design card), which Streamlit takes for
    # its old multipage layout until the first st.navigation call says
    # otherwise. That layout would serve pages/*.py by their names to anyone,
    # before any login: there are none (every page sits in a sub-folder, which
    # it never reads; tests/pages/test_unexpected_errors.py holds this), and it
    # is switched off here as well. This app always navigates with st.navigation.
    PagesManager.uses_pages_directory = False
    app = st.App("streamlit_app.py", routes=ROUTES)
    if not LOG.handlers:  # the server's console, with the time (Python's fallback has none)
        _console = logging.StreamHandler()
        _console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOG.addHandler(_console)

# Sections of the navigation: (catalogue key of the section, pages), each page
# (file, catalogue key of its title, icon, permission needed or None for all).
SECTIONS = (
    (
        "nav.section.desk",
        (
            ("pages/desk/home.py", "nav.home", ":material/home:", None),
            ("pages/desk/search.py", "nav.search", ":material/search:", "person.read"),
            ("pages/desk/register.py", "nav.register", ":material/person_add:", "person.write"),
            ("pages/desk/person.py", "nav.person", ":material/badge:", "person.read"),
            ("pages/access/password.py", "nav.password", ":material/password:", None),
            ("pages/access/second_factor.py", "nav.second_factor", ":material/phonelink_lock:", None),
        ),
    ),
    (
        "nav.section.activities",
        (
            ("pages/activities/day.py", "nav.day", ":material/today:", "schedule.read"),
            ("pages/activities/book.py", "nav.book", ":material/event_available:", "booking.write"),
            ("pages/activities/roster.py", "nav.roster", ":material/fact_check:", "attendance.write"),
            ("pages/activities/laundry.py", "nav.laundry", ":material/local_laundry_service:", "booking.write"),
        ),
    ),
    (
        "nav.section.cases",
        (
            ("pages/cases/case.py", "nav.case", ":material/folder_shared:", "case.read"),
            ("pages/cases/achievements.py", "nav.achievements", ":material/school:", "case.read"),
            ("pages/cases/caseload.py", "nav.caseload", ":material/assignment_ind:", "case.read"),
        ),
    ),
    (
        "nav.section.impact",
        (
            ("pages/impact/impact.py", "nav.impact", ":material/insights:", "impact.read"),
            ("pages/impact/exports.py", "nav.exports", ":material/download:", "export.run"),
            ("pages/impact/dictionary.py", "nav.dictionary", ":material/menu_book:", "export.run"),
        ),
    ),
    (
        "nav.section.admin",
        (
            ("pages/admin/schedules.py", "nav.schedules", ":material/calendar_month:", "schedule.manage"),
            ("pages/admin/services.py", "nav.services", ":material/category:", "service.manage"),
            ("pages/admin/institutions.py", "nav.institutions", ":material/account_balance:", "institution.manage"),
            ("pages/admin/blocks.py", "nav.blocks", ":material/domain:", "block.manage"),
            ("pages/admin/users.py", "nav.users", ":material/manage_accounts:", "user.manage"),
            ("pages/admin/rights.py", "nav.rights", ":material/shield_person:", "person.erase"),
            ("pages/admin/retention.py", "nav.retention", ":material/auto_delete:", "retention.manage"),
        ),
    ),
)


HOME = "pages/desk/home.py"
PASSWORD = "pages/access/password.py"
SECOND_FACTOR = "pages/access/second_factor.py"
VERIFY = "pages/access/verify.py"


def _language_picker(current: User | None) -> None:
    """Before login the picker sets this tab's language; after it, the user's
    saved one (a widget of its own, so the login screen's choice never
    overwrites what she saved)."""
    # Each language is named in itself, so the labels do not change with the choice.
    names = {code: t(f"language.{code}", code) for code in LANGUAGES}
    chosen = st.sidebar.selectbox(
        tr("common.language"),
        list(names),
        index=list(names).index(language()),
        format_func=names.__getitem__,
        key=f"language_picker_{current.id}" if current else "language_picker",
        placeholder=tr("common.choose"),
    )
    if chosen == language():
        return
    if current:
        write(Form("language"), auth.set_language, chosen, then=_keep_user)
        return  # refused (it says why)
    st.session_state["language"] = chosen
    st.rerun()


def _keep_user(account: User) -> None:
    st.session_state["user"] = account


def _sidebar(current: User) -> None:
    st.sidebar.markdown(f"**{literal(current.username)}** · {literal(tr('role.' + current.role))}")
    if current.block_code:
        names = {b["code"]: b["name"] for b in reference.blocks(db(), include_closed=True)}
        st.sidebar.text(names.get(current.block_code, current.block_code))  # typed by an admin: plain text
    if st.sidebar.button(tr("login.logout"), key="logout"):
        sign_out(current)
        st.rerun()


def _logged_out():
    """The first-run setup or the login, at whatever address was asked for:
    every page's address shows the login, and after it the page itself."""
    first_run = not auth.has_users(db())
    entry, title = ("pages/access/setup.py", "nav.setup") if first_run else ("pages/access/login.py", "nav.login")
    return _only(entry, title)


def _only(entry: str, title: str, root: str | None = None):
    """``entry`` alone, at every page's address (and after it, the page asked for).
    ``root``: the name of the page at the root address, when ``entry`` is also a page
    of the whole navigation: a name no page has, so that the root leads home after it."""
    pages = [st.Page(entry, title=tr(title), default=True, url_path=root)] + [
        st.Page(entry, title=tr(title), url_path=_url_path(path), visibility="hidden")
        for _, section_pages in SECTIONS
        for path, *_ in section_pages
        if path != HOME and (path != entry or root is not None)
    ]
    return st.navigation(pages, position="hidden")


def _url_path(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".py")


def _navigation(current: User):
    """Every page, those the role may not open hidden: an address of one of
    those lands on the home page with a message (not Streamlit's "page not
    found"). First her second factor: while her login waits for its code, only the
    page that asks for it; while her role needs one she has not set up (or her new
    recovery codes wait to be saved), only its page. Then, after an admin reset her
    password, only its change, until she makes it."""
    step = second_factor_step()
    if step == sessions.VERIFY:
        return _only(VERIFY, "nav.verify")
    if step == sessions.ENROL or codes_to_show():
        return _only(SECOND_FACTOR, "nav.second_factor", root="second_factor_first")
    if must_change_password():
        return _only(PASSWORD, "nav.password")
    forbidden = set()
    sections = {}
    for section, pages in SECTIONS:
        entries = []
        for path, title, icon, permission in pages:
            allowed = permission is None or policy.permits(current, permission)
            entries.append(
                st.Page(
                    path,
                    title=tr(title),
                    icon=icon,
                    default=(path == HOME),
                    visibility="visible" if allowed else "hidden",
                )
            )
            if not allowed:
                forbidden.add(_url_path(path))
        sections[tr(section)] = entries
    navigation = st.navigation(sections, expanded=True)
    if navigation.url_path in forbidden:
        flash(tr("nav.forbidden"))
        st.switch_page(HOME)
    return navigation


def main() -> None:
    st.set_page_config(page_title="caremgmt", page_icon="🤝", layout="wide")
    ensure_initialized(db_path())
    # One connection for the whole run, closed however the run ends (st.rerun,
    # st.stop and st.switch_page raise); pages reach it through pages.ui.session.db.
    with script_run(), errors_reported():
        # Back from the identity provider (st.login) with no login of ours: its account's login.
        current = sign_in_with_identity(identify())
        _language_picker(current)
        if current is None:
            navigation = _logged_out()
        else:
            _sidebar(current)
            navigation = _navigation(current)
        hand_over_cookie()
        show_flash(navigation.url_path)
        navigation.run()


if __name__ == "__main__":
    main()
