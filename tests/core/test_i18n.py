import re
from pathlib import Path

import pytest

from caremgmt.casework import cases, institutions, outcomes, referrals
from caremgmt.core import actor, i18n
from caremgmt.core.i18n import t
from caremgmt.registry import vocab
from caremgmt.scheduling import attendance, catalogue, laundry

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("caremgmt/**/*.py"), *ROOT.glob("pages/**/*.py"), ROOT / "streamlit_app.py"]
STATIC_KEY = re.compile(r'\b(?:tr|t|Message|_title)\(\s*"([a-z_]+\.[a-z_.0-9]+)"')


def test_every_navigation_title_exists():
    titles = set(re.findall(r'"(nav\.[a-z_.]+)"', (ROOT / "streamlit_app.py").read_text(encoding="utf-8")))
    assert len(titles) > 5 and sorted(titles - set(i18n.catalogue("es"))) == []


def test_spanish_and_english_have_the_same_keys():
    assert set(i18n.catalogue("es")) == set(i18n.catalogue("en"))


def test_every_key_used_in_code_exists():
    used = {key for path in SOURCES for key in STATIC_KEY.findall(path.read_text(encoding="utf-8"))}
    assert used, "the pattern found no keys: the test would prove nothing"
    assert sorted(used - set(i18n.catalogue("es"))) == []


@pytest.mark.parametrize(
    "group, values",
    [
        ("doc_type", vocab.DOC_TYPES),
        ("sex", vocab.SEXES),
        ("gender_identity", vocab.GENDER_IDENTITIES),
        ("ethnicity", vocab.ETHNICITIES),
        ("disability", vocab.DISABILITIES),
        ("migrant_status", vocab.MIGRANT_STATUSES),
        ("education_level", vocab.EDUCATION_LEVELS),
        ("channel", vocab.REGISTRATION_CHANNELS),
        ("relationship", vocab.RELATIONSHIPS),
        ("care_need", vocab.CARE_NEEDS),
        ("role", actor.ROLES),
        ("error.doc_format", vocab.DOC_TYPES),
        ("category", catalogue.CATEGORIES),
        ("audience", catalogue.AUDIENCES),
        ("care_hours_rule", catalogue.CARE_HOURS_RULES),
        ("service_kind", catalogue.KINDS),
        ("load_status", tuple(laundry.TRANSITIONS)),
        ("load_action", ("dropped_off", "ready", "collected", "no_show")),
        ("attendance", attendance.STATUSES),
        ("weekday", tuple(range(7))),
        ("domain", cases.DOMAINS),
        ("priority", cases.PRIORITIES),
        ("outcome", outcomes.KINDS),
        ("programme", tuple(outcomes.PROGRAMMES)),
        ("enrolment_status", tuple(outcomes.ENROLMENT_TRANSITIONS)),
        ("referral_status", tuple(referrals.TRANSITIONS)),
        ("sector", institutions.SECTORS),
        (
            "timeline",
            tuple(
                [f"booking_{s}" for s in ("booked", "waitlisted", "cancelled")]
                + [f"laundry_{s}" for s in laundry.TRANSITIONS]
                + [f"attendance_{s}" for s in attendance.STATUSES]
                + [f"referral_{s}" for s in referrals.TRANSITIONS]
                + [f"enrolment_{s}" for s in outcomes.ENROLMENT_TRANSITIONS]
                + ["registered", "case_opened", "note", "note_confidential", "outcome"]
            ),
        ),
    ],
)
def test_every_listed_value_has_a_label(group, values):
    missing = [v for v in values if f"{group}.{v}" not in i18n.catalogue("es")]
    assert missing == []


def test_spanish_is_default_and_english_available():
    assert t("error.required") == "Este campo es obligatorio."
    assert t("error.required", "en") == "This field is required."
    assert t("common.age", "es", age=3) == "3 años"
    assert t("common.age", "es", age=1) == "1 año"
    assert t("common.age", "en", age=1) == "1 year old"


def test_pages_hold_no_literal_user_text():
    # A plain string literal as a widget's label would bypass the catalogue.
    widgets = (
        "title|header|subheader|write|markdown|caption|info|error|warning|success|button|text_input|"
        "selectbox|checkbox|radio|form_submit_button|number_input|date_input|expander|spinner|toast"
    )
    # Not a logger's lines (LOG.warning): the server's operator reads those, in English.
    literal_label = re.compile(rf'(?<!LOG)\.(?:{widgets})\(\s*"[^"]*[A-Za-zÁÉÍÓÚáéíóúñ]{{3}}')
    assert literal_label.search('st.button("Guardar")')
    assert not literal_label.search('LOG.warning("refusal not handled")')
    offenders = [
        f"{path.name}: {line.strip()}"
        for path in SOURCES
        if "pages" in path.relative_to(ROOT).parts or path.name == "streamlit_app.py"
        for line in path.read_text(encoding="utf-8").splitlines()
        if literal_label.search(line)
    ]
    assert offenders == []
