"""Text someone typed is shown as typed, never rendered: markdown, HTML, links,
images, colours and formulas stored in every free-text field, on every page that
shows them, in a real browser. Nothing loads from outside the app, nothing
becomes a link, nothing turns bold."""

import datetime as dt
import os
import time

import pytest
from playwright.sync_api import expect

from tests.browser.browser import log_in, nav, settle, type_date, with_second_factor

pytestmark = pytest.mark.browser

# Each field holds a tag (to find it) and one or more of these. A: an image that
# would load from a tracker, bold, a colour directive, a formula. B: a link, an
# HTML image, a script tag. C: what Streamlit finds in plain text itself (an icon
# shortcode, an emoji shortcode, a typographic arrow, bare links, an address).
A = "![x](http://tracker.invalid/p.png) **negrita** :red[x] $x^2$"
B = "[clic](http://evil.invalid) <img src=http://tracker.invalid/h.png> <script>"
C = ":material/home: :smile: a -> b www.tracker.invalid http://tracker.invalid/c ana@tracker.invalid"
# Names take letters and " '-." only: still a list marker, a dash and a bare link.
FIRST_NAMES = "- Ana -- María"
LAST_NAMES = "www.rastreo.invalid"
FULL_NAME = f"{FIRST_NAMES} {LAST_NAMES}"
CHILD = "Tomás www.rastreo.invalid"
PASSWORD = "tambor-ciruela-faro-8142"
# Shown in text, invisible: where the app splits a pattern Streamlit would find
# in plain text (pages.ui.formatting.literal).
WORD_JOINER = "\u2060"


def hostile(tag: str, *parts: str) -> str:
    return " ".join((tag, *parts))


VALUES = {
    "block": hostile("K1", A),
    "service_es": hostile("S1", A),
    "service_en": hostile("S2", B),
    "room": hostile("R1", A, B),
    "facilitator": hostile("F1", A),
    "institution": hostile("I1", A, B),
    "contact": hostile("I2", B),
    "neighbourhood": hostile("B1", A),
    "goal": hostile("G1", A, B, C),
    "note": f"N1 {A}\n{B}\n{C}",
    "task": hostile("T1", A, B),
    "reason": hostile("RR", A, B),
    "outcome_institution": hostile("O1", A),
    "course": hostile("O2", B),
    "outcome": hostile("O3", A, B, C),
    "evidence": hostile("O4", B),
    "close_reason": hostile("C1", A, B, C),
}


@pytest.fixture
def hostile_world(app_url):
    """An admin of KENNEDY; the block, a service, its sessions today (room and
    facilitator), an institution, a caregiver with a child, her booking, laundry
    load, case (goal, note, task, referral) and achievement, and a second
    caregiver whose case was closed: every free text hostile, stored through the
    domain as staff would."""
    from caremgmt.casework import cases, institutions, outcomes, referrals
    from caremgmt.core import actor, auth, clock, reference
    from caremgmt.core.db import connect
    from caremgmt.registry import persons
    from caremgmt.scheduling import booking, catalogue, laundry, timetable
    from tests.factories import caregiver_data, child_data

    now = clock.now_local()
    today = now.date()
    # The sessions' day: today, unless it is too late or a holiday (no sessions then).
    day, start = today, (now + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    if now.time() > dt.time(21, 50) or timetable.is_holiday(day):
        day = next(d for d in (today + dt.timedelta(days=n) for n in range(1, 10)) if not timetable.is_holiday(d))
        start = dt.datetime.combine(day, dt.time(8, 0))
    db = connect(os.environ["CAREMGMT_DB"])
    try:
        admin = with_second_factor(db, auth.create_user(db, actor.SYSTEM, "coordina", PASSWORD, "admin", "KENNEDY"))
        reference.update_block(db, admin, "KENNEDY", name=VALUES["block"], locality_code=8, active=True)
        service_id = catalogue.save_service(
            db,
            admin,
            {
                "code": "HOSTIL",
                "category": catalogue.CATEGORIES[0],
                "kind": "activity",
                "audience": "anyone",
                "name_es": VALUES["service_es"],
                "name_en": VALUES["service_en"],
                "default_minutes": 60,
                "care_hours_rule": "simultaneity",
            },
        )
        common = {"block_code": "KENNEDY", "weekdays": [day.weekday()], "start_date": day, "end_date": day}
        # The laundry's first: the schedules page opens on the newest schedule (the activity's).
        laundry_service = db.execute("SELECT id FROM services WHERE kind = 'laundry'").fetchone()[0]
        timetable.create_schedule(
            db,
            admin,
            {
                **common,
                "service_id": laundry_service,
                "start_time": start.time(),
                "end_time": (start + dt.timedelta(minutes=60)).time(),
                "capacity": 4,
            },
        )
        timetable.create_schedule(
            db,
            admin,
            {
                **common,
                "service_id": service_id,
                "end_date": day + dt.timedelta(days=7),
                "room": VALUES["room"],
                "facilitator": VALUES["facilitator"],
                "start_time": start.time(),
                "end_time": (start + dt.timedelta(minutes=60)).time(),
                "capacity": 10,
            },
        )
        session_of = {
            kind: db.execute(
                "SELECT s.id FROM sessions s JOIN services v ON v.id = s.service_id WHERE v.kind = ?"
                " ORDER BY s.starts_at LIMIT 1",
                [kind],
            ).fetchone()[0]
            for kind in ("activity", "laundry")
        }
        institution_id = institutions.save_institution(
            db,
            admin,
            {"code": "HOSTIL", "name": VALUES["institution"], "sector": "other", "contact": VALUES["contact"]},
        )
        caregiver = persons.register_caregiver(
            db,
            admin,
            caregiver_data(
                doc_number="52777888",
                first_names=FIRST_NAMES,
                last_names=LAST_NAMES,
                phone="",
                locality_code=8,
                neighbourhood=VALUES["neighbourhood"],
                home_block="KENNEDY",
            ),
            [child_data(first_names="Tomás", last_names=LAST_NAMES, birth_date=(today - dt.timedelta(days=800)))],
            {"registration": True},
            confirmed_new=True,
        )
        booking.book(db, admin, session_of["activity"], caregiver)
        laundry.book_load(db, admin, session_of["laundry"], caregiver)
        case_id = cases.open_case(db, admin, caregiver, case_worker_id=admin.id)
        cases.add_goal(db, admin, case_id, "education", VALUES["goal"], today + dt.timedelta(days=30))
        cases.add_note(db, admin, case_id, VALUES["note"])
        cases.add_task(db, admin, case_id, VALUES["task"], today + dt.timedelta(days=7), admin.id)
        referrals.make_referral(db, admin, case_id, reason=VALUES["reason"], institution_id=institution_id)
        outcomes.record_outcome(
            db,
            admin,
            caregiver,
            {
                "kind": "other",
                "achieved_on": today,
                "institution": VALUES["outcome_institution"],
                "course": VALUES["course"],
                "description": VALUES["outcome"],
                "evidence": VALUES["evidence"],
            },
        )
        closed = persons.register_caregiver(
            db,
            admin,
            caregiver_data(
                doc_number="52777999",
                first_names="Rosa",
                last_names=LAST_NAMES,
                phone="",
                locality_code=8,
                home_block="KENNEDY",
            ),
            [],
            {"registration": True},
            confirmed_new=True,
        )
        cases.close_case(db, admin, cases.open_case(db, admin, closed), VALUES["close_reason"])
    finally:
        db.close()
    return {"caregiver": caregiver, "closed": closed, "day": day}


def on_the_day(page, day: dt.date) -> None:
    """The page's date set to the sessions' day (today, unless the fixture could not use it)."""
    from caremgmt.core import clock

    if day != clock.today():
        type_date(page, "Fecha", f"{day:%d%m%Y}")
        settle(page)


class Watch:
    """What the tab asked for outside the app, and what its pages show."""

    def __init__(self, page, app_url: str) -> None:
        self.page, self.app_url, self.outside = page, app_url, []
        page.on("request", lambda request: self._saw(request.url))

    def _saw(self, url: str) -> None:
        if not url.startswith((self.app_url + "/", "data:", "blob:")):
            self.outside.append(url)

    def shows(self, *values: str, timeout: float = 20) -> None:
        """Each value visible in the page's main area exactly as typed (one line
        of it at a time: a paragraph shows a line break as a space), and nothing
        rendered from it."""
        lines = [line for value in values for line in value.split("\n")]
        deadline = time.monotonic() + timeout
        while True:
            settle(self.page)
            text = self.page.get_by_test_id("stMain").inner_text().replace(WORD_JOINER, "")
            missing = [line for line in lines if line not in text]
            if not missing:
                break
            assert time.monotonic() < deadline, f"not shown as typed: {missing}"
            time.sleep(0.25)
        self.nothing_rendered()

    def nothing_rendered(self) -> None:
        # The pages' own markdown uses bold and colours (never on these words), and
        # none of the other marks: each would come from a value.
        found = self.page.evaluate(
            """() => {
                const main = document.querySelector("[data-testid='stMain']");
                const texts = (selector) => [...main.querySelectorAll(selector)].map((e) => e.textContent);
                const md = "[data-testid='stMarkdownContainer'] ";
                return {
                    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
                    images: [...document.querySelectorAll("img")].map((i) => i.src),
                    marks: texts(["em", "del", "code", "li", "blockquote", "table", ".katex", "streamlit-help-icon"]
                        .map((tag) => md + tag).join(", ")),
                    headings: texts("[data-testid='stMarkdown'] :is(h1, h2, h3, h4, h5, h6)"),
                    styled: texts(["strong", "[class*='ColoredText']", "[data-testid='stIconMaterial']"]
                        .map((tag) => md + tag).join(", ")),
                };
            }"""
        )
        assert [href for href in found["links"] if not href.startswith(self.app_url + "/")] == []
        assert [src for src in found["images"] if not src.startswith((self.app_url + "/", "data:"))] == []
        assert found["marks"] == [] and found["headings"] == []
        assert not {"negrita", "x", "home"} & set(found["styled"]), found["styled"]
        # Any request at all: also the app's own (a Material favicon, page_icon=":material/…:",
        # is fetched from fonts.gstatic.com whenever a page opens).
        assert self.outside == [], f"requests to other hosts: {self.outside}"


def test_hostile_text_is_shown_as_typed_on_every_page(app_db, app_url, hostile_world, page):
    watch = Watch(page, app_url)
    log_in(page, "coordina", PASSWORD)
    caregiver = hostile_world["caregiver"]
    person_name = f"{FULL_NAME} · CC 52777888"

    # The desk: search, her file (each tab), her case (each tab), her achievements.
    nav(page, "Buscar persona")
    page.get_by_label("Documento, teléfono o nombre").fill("52777888")
    page.get_by_label("Documento, teléfono o nombre").press("Enter")
    watch.shows(person_name)
    page.get_by_role("button", name="Abrir").first.click()
    expect(page).to_have_url(f"{app_url}/person?person={caregiver}")
    watch.shows(FULL_NAME, VALUES["service_es"])
    for tab, values in (
        ("Línea de tiempo", (VALUES["note"], VALUES["institution"], VALUES["outcome"])),
        ("Datos", (VALUES["neighbourhood"], VALUES["block"])),
        ("Personas vinculadas", (CHILD,)),
    ):
        page.get_by_role("tab", name=tab).click()
        watch.shows(*values)

    page.get_by_role("button", name="Caso", exact=True).click()
    watch.shows(person_name)
    for tab, values in (
        ("Plan", (VALUES["goal"],)),
        ("Notas", (VALUES["note"],)),
        ("Remisiones", (VALUES["institution"],)),
        ("Tareas", (VALUES["task"],)),
    ):
        page.get_by_role("tab", name=tab).click()
        watch.shows(*values)

    nav(page, "Programas y logros")
    watch.shows(" · ".join(VALUES[k] for k in ("outcome_institution", "course", "outcome", "evidence")))

    # Activities: booking (the series button carries the room), laundry, the day, a roster.
    nav(page, "Reservar actividad")
    watch.shows(person_name, f"{VALUES['service_es']} · {VALUES['room']}")
    series = page.get_by_role("button", name="Reservar toda la serie")
    assert series.inner_text().replace(WORD_JOINER, "").endswith(f" · {VALUES['room']}")
    nav(page, "Lavandería")
    on_the_day(page, hostile_world["day"])
    watch.shows(person_name)
    nav(page, "Agenda del día")
    on_the_day(page, hostile_world["day"])
    watch.shows(f"{VALUES['service_es']} · {VALUES['room']}", FULL_NAME)
    page.get_by_role("button", name="Asistencia").first.click()
    watch.shows(f"{VALUES['service_es']} · {VALUES['room']}")

    nav(page, "Mis casos")
    watch.shows(FULL_NAME, VALUES["task"], VALUES["institution"])

    # The closed case says why it was closed.
    page.goto(f"{app_url}/case?person={hostile_world['closed']}")
    watch.shows(VALUES["close_reason"])

    # Admin pages: tables and lists of what admins typed.
    nav(page, "Instituciones")
    watch.shows("Instituciones para remisión")
    nav(page, "Servicios")
    watch.shows("Catálogo de servicios")
    nav(page, "Manzanas")
    watch.shows("Manzanas del Cuidado")
    nav(page, "Programación")
    page.get_by_role("tab", name="Programaciones").click()
    watch.shows(VALUES["room"])
