"""Register a caregiver with the people she cares for and her consents.

Not an st.form: every change reaches the server, and what the page holds is kept
as this login session's draft (pages.ui.drafts), so a reload finds a half-filled
registration again; a registration saved forgets it. A new one starts from the
domain's defaults (the desk's block and its locality) and with one person cared
for open; a section left blank at the end is not sent."""

import datetime as dt
import time

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.errors import DuplicateDocument, ProbableDuplicates
from caremgmt.registry import persons, vocab
from pages.ui import drafts
from pages.ui.actions import Form, open_person, write
from pages.ui.formatting import literal, person_line
from pages.ui.person_fields import cared_person_fields, caregiver_fields, legal_representative
from pages.ui.session import db, tr, user
from pages.ui.widgets import choice, field_error

MAX_DEPENDENTS = 6
FOLLOW_SECONDS = 3.0
DRAFT = "reg"
current = user()
form = Form("reg")
SCOPE = form.scope

# The second click of a double click on "Registrar" still asks for this page,
# after the first one registered her and opened her file: follow the first one
# there (the click itself finds no button: the page is in a new round).
registered_now = st.session_state.pop("reg_registered", None)
if registered_now and time.monotonic() < registered_now["until"]:
    st.session_state["reg_registered"] = registered_now
    open_person(registered_now["person_id"])

links: dict[int, dict] = st.session_state.setdefault("reg_links", {})
draft = drafts.recall(DRAFT)


def kept(value):
    """A value as a draft keeps it (a date as the widgets take it back: ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def blank(dependent: dict) -> bool:
    return not any(value not in (None, "", False) for value in dependent.values())


st.title(tr("register.title"))
localities = reference.localities(db())
blocks = reference.blocks(db())

st.subheader(tr("register.caregiver"), anchor=False)
caregiver = caregiver_fields(
    SCOPE, form.key, localities, blocks, {**persons.registration_defaults(db(), current), **draft.get("caregiver", {})}
)

count = st.number_input(
    tr("register.dependents_count"),
    min_value=0,
    max_value=MAX_DEPENDENTS,
    value=draft.get("count", 1),
    step=1,
    key=form.key("count"),
)
st.caption(tr("register.blank_dependent"))
shown: list[dict] = []
for i in range(int(count)):
    st.subheader(tr("register.dependent", n=i + 1), anchor=False)
    before = (draft.get("dependents") or [])[i : i + 1] or [{}]
    if i in links:
        st.info(tr("register.linked_existing", person=literal(person_line(links[i]))))
        col1, col2 = st.columns(2)
        with col1:
            relationship = choice(
                SCOPE,
                f"dependents.{i}.relationship",
                vocab.RELATIONSHIPS,
                "relationship",
                form.key(f"dep{i}_relationship"),
                before[0].get("relationship"),
                required=True,
            )
        with col2:
            care_need = choice(
                SCOPE,
                f"dependents.{i}.care_need",
                vocab.CARE_NEEDS,
                "care_need",
                form.key(f"dep{i}_care_need"),
                before[0].get("care_need"),
                required=True,
            )
        shown.append(
            {
                "existing_person_id": links[i]["id"],
                "relationship": relationship,
                "care_need": care_need,
                "legal_representative": legal_representative(form.key(f"dep{i}_legal_representative"), before[0]),
            }
        )
    else:
        shown.append(
            cared_person_fields(
                SCOPE, lambda name, i=i: form.key(f"dep{i}_{name}"), f"dependents.{i}.", current=before[0]
            )
        )
# A section left blank at the end was not wanted (one is open by default); one in
# the middle is sent, and the domain says what it lacks.
dependents = list(shown)
while dependents and blank(dependents[-1]):
    dependents.pop()

st.subheader(tr("register.consents"), anchor=False)
with st.expander(tr("consent.registration.title")):
    st.write(tr("consent.registration.text"))
given = draft.get("consents", {})
consents = {
    "registration": st.checkbox(
        tr("consent.registration.label") + " *",
        value=given.get("registration", False),
        key=form.key("consent_registration"),
    )
}
field_error(SCOPE, "consent_registration")
for purpose in ("reminders", "research"):
    consents[purpose] = st.checkbox(
        tr(f"consent.{purpose}.label"), value=given.get(purpose, False), key=form.key(f"consent_{purpose}")
    )
st.caption(tr("register.consent_version", version=vocab.CONSENT_TEXT_VERSION))

drafts.keep(
    DRAFT,
    {
        "caregiver": {field: kept(value) for field, value in caregiver.items()},
        "count": int(count),
        "dependents": [{field: kept(value) for field, value in d.items()} for d in shown],
        "consents": consents,
    },
)
submitted = st.button(tr("register.submit"), type="primary", key=form.key())


def registered(person_id: int) -> None:
    """Forget the draft, links and questions of this registration, then open her file."""
    drafts.forget(DRAFT)
    st.session_state.pop("reg_links", None)
    st.session_state.pop("reg_outcome", None)
    st.session_state["reg_registered"] = {"person_id": person_id, "until": time.monotonic() + FOLLOW_SECONDS}
    open_person(person_id)


def duplicate(error: DuplicateDocument) -> None:
    st.session_state["reg_outcome"] = {"duplicate": error.person, "field": error.field}


def probable(error: ProbableDuplicates) -> None:
    st.session_state["reg_outcome"] = {"matches": error.matches}


def submit(confirmed_new: bool) -> None:
    st.session_state.pop("reg_outcome", None)
    write(
        form,
        persons.register_caregiver,
        caregiver,
        dependents,
        consents,
        confirmed_new=confirmed_new,
        done=tr("register.saved", name=f"{caregiver['first_names']} {caregiver['last_names']}"),
        then=registered,
        outcomes={DuplicateDocument: duplicate, ProbableDuplicates: probable},
    )


if submitted:
    submit(confirmed_new=False)

outcome = st.session_state.get("reg_outcome") or {}
if "duplicate" in outcome:
    person, field = outcome["duplicate"], outcome["field"]
    st.error(tr("register.duplicate_document", person=literal(person_line(person))))
    col1, col2 = st.columns(2)
    if col1.button(tr("register.open_existing"), key="reg_open_duplicate"):
        open_person(person["id"])
    if field.startswith("dependents.") and col2.button(tr("register.link_existing"), key="reg_link_duplicate"):
        links[int(field.split(".")[1])] = person
        st.session_state.pop("reg_outcome")
        st.rerun()
if "matches" in outcome:
    st.warning(tr("register.probable_duplicates"))
    for match in outcome["matches"]:
        reasons = ", ".join(tr(f"duplicate_reason.{r}") for r in match["reasons"])
        section = (
            tr("register.caregiver")
            if not match["field"]
            else tr("register.dependent", n=int(match["field"].split(".")[1]) + 1)
        )
        col1, col2 = st.columns([5, 1])
        col1.markdown(f"**{literal(person_line(match))}** · {section} · {tr('register.matched_on', reasons=reasons)}")
        if col2.button(tr("common.open"), key=f"reg_open_match_{match['id']}_{match['field']}"):
            open_person(match["id"])
    if st.button(tr("register.confirm_different"), key=form.key("confirm_new"), type="primary"):
        submit(confirmed_new=True)
