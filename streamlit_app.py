"""Entry point: first-run setup, login, the navigation each role may see, and the
one database connection of each script run."""

import streamlit as st

from caremgmt.core import actor, auth
from caremgmt.core.db import db_path
from caremgmt.core.i18n import LANGUAGES, t
from caremgmt.setup import ensure_initialized
from pages.ui.actions import Form, show_flash, write
from pages.ui.session import db, language, script_run, tr, user

st.set_page_config(page_title="caremgmt", page_icon=":material/diversity_1:", layout="wide")
ensure_initialized(db_path())

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
        ),
    ),
)


def _language_picker() -> None:
    # Each language is named in itself, so the labels do not change with the choice.
    names = {t(f"language.{code}", code): code for code in LANGUAGES}
    current_name = next(name for name, code in names.items() if code == language())
    chosen = names[
        st.sidebar.selectbox(
            tr("common.language"), list(names), index=list(names).index(current_name), key="language_picker"
        )
    ]
    if chosen == language():
        return
    if user():
        write(Form("language"), auth.set_language, chosen, then=_keep_user)
        return  # refused (it says why)
    st.session_state["language"] = chosen
    st.rerun()


def _keep_user(account: actor.User) -> None:
    st.session_state["user"] = account


def _sidebar(current: actor.User) -> None:
    st.sidebar.markdown(f"**{current.username}** · {tr('role.' + current.role)}")
    if current.block_code:
        st.sidebar.caption(tr("common.block_code", code=current.block_code))
    if st.sidebar.button(tr("login.logout"), key="logout"):
        st.session_state.clear()
        st.rerun()


def _navigation():
    """The pages this session may see: the first-run setup or the login while
    nobody is logged in, otherwise the sections the user's role allows."""
    current = user()
    if current is not None:
        current = auth.refresh(db(), current)
        if current is None:  # deactivated meanwhile: back to the login
            st.session_state.clear()
        else:
            st.session_state["user"] = current
    _language_picker()
    if current is None:
        first_run = not auth.has_users(db())
        entry = "pages/access/setup.py" if first_run else "pages/access/login.py"
        return st.navigation([st.Page(entry, title=tr("nav.setup" if first_run else "nav.login"))], position="hidden")
    _sidebar(current)
    sections = {
        tr(section): [
            st.Page(path, title=tr(title), icon=icon, default=(path == "pages/desk/home.py"))
            for path, title, icon, permission in pages
            if permission is None or auth.allowed(current, permission)
        ]
        for section, pages in SECTIONS
    }
    return st.navigation({name: pages for name, pages in sections.items() if pages}, expanded=True)


# One connection for the whole run, closed however the run ends (st.rerun,
# st.stop and st.switch_page raise); pages reach it through pages.ui.session.db.
with script_run():
    navigation = _navigation()
    show_flash(navigation.url_path)
    navigation.run()
