"""Register a caregiver with the people she cares for and her consents."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.errors import DuplicateDocument, ProbableDuplicates, ValidationError
from caremgmt.registry import persons, vocab
from pages.ui import (
    cared_person_fields,
    caregiver_fields,
    choice,
    database,
    field_error,
    open_person,
    person_line,
    set_errors,
    tr,
    user,
)

SCOPE = "reg"
MAX_DEPENDENTS = 6
current = user()
links: dict[int, dict] = st.session_state.setdefault("reg_links", {})

st.title(tr("register.title"))
with database() as db:
    localities = reference.localities(db)
    blocks = reference.blocks(db)

count = st.number_input(tr("register.dependents_count"), min_value=0, max_value=MAX_DEPENDENTS, step=1, key="reg_count")
with st.form("register"):
    st.subheader(tr("register.caregiver"))
    caregiver = caregiver_fields(SCOPE, "reg_", localities, blocks, {"home_block": current.block_code})
    dependents = []
    for i in range(int(count)):
        st.subheader(tr("register.dependent", n=i + 1))
        if i in links:
            st.info(tr("register.linked_existing", person=person_line(links[i])))
            col1, col2 = st.columns(2)
            with col1:
                relationship = choice(
                    SCOPE,
                    f"dependents.{i}.relationship",
                    vocab.RELATIONSHIPS,
                    "relationship",
                    f"reg_dep{i}_relationship",
                    required=True,
                )
            with col2:
                care_need = choice(
                    SCOPE,
                    f"dependents.{i}.care_need",
                    vocab.CARE_NEEDS,
                    "care_need",
                    f"reg_dep{i}_care_need",
                    required=True,
                )
            dependents.append(
                {"existing_person_id": links[i]["id"], "relationship": relationship, "care_need": care_need}
            )
        else:
            dependents.append(cared_person_fields(SCOPE, f"reg_dep{i}_", f"dependents.{i}."))
    st.subheader(tr("register.consents"))
    with st.expander(tr("consent.registration.title")):
        st.write(tr("consent.registration.text"))
    consents = {"registration": st.checkbox(tr("consent.registration.label") + " *", key="reg_consent_registration")}
    field_error(SCOPE, "consent_registration")
    consents["reminders"] = st.checkbox(tr("consent.reminders.label"), key="reg_consent_reminders")
    consents["research"] = st.checkbox(tr("consent.research.label"), key="reg_consent_research")
    st.caption(tr("register.consent_version", version=vocab.CONSENT_TEXT_VERSION))
    submitted = st.form_submit_button(tr("register.submit"), type="primary")


def submit(confirmed_new: bool) -> None:
    st.session_state.pop("reg_outcome", None)
    with database() as db:
        try:
            person_id = persons.register_caregiver(
                db, current, caregiver, dependents, consents, confirmed_new=confirmed_new
            )
        except ValidationError as e:
            set_errors(SCOPE, e)
            st.session_state["reg_outcome"] = {"invalid": True}
            st.rerun()
        except DuplicateDocument as e:
            set_errors(SCOPE, None)
            st.session_state["reg_outcome"] = {"duplicate": e.person, "field": e.field}
            st.rerun()
        except ProbableDuplicates as e:
            set_errors(SCOPE, None)
            st.session_state["reg_outcome"] = {"matches": e.matches}
            st.rerun()
    for key in [k for k in st.session_state if k.startswith("reg_")]:
        del st.session_state[key]
    st.session_state["flash"] = tr("register.saved", name=f"{caregiver['first_names']} {caregiver['last_names']}")
    open_person(person_id)


if submitted:
    submit(confirmed_new=False)

outcome = st.session_state.get("reg_outcome") or {}
if outcome.get("invalid"):
    st.error(tr("error.invalid_form"))
if "duplicate" in outcome:
    person, field = outcome["duplicate"], outcome["field"]
    st.error(tr("register.duplicate_document", person=person_line(person)))
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
        col1.markdown(f"**{person_line(match)}** · {section} · {tr('register.matched_on', reasons=reasons)}")
        if col2.button(tr("common.open"), key=f"reg_open_match_{match['id']}_{match['field']}"):
            open_person(match["id"])
    if st.button(tr("register.confirm_different"), key="reg_confirm_new", type="primary"):
        submit(confirmed_new=True)
