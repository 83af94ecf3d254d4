"""Whose data may be used for what, by consent (Ley 1581 de 2012): the rules
that other capabilities ask, written once."""

from __future__ import annotations

from sqlite_utils import Database

# Persons whose data may go into research microdata: her own active research
# consent; or, for someone who cannot consent herself (a child), the active
# research consent of the caregiver recorded as her legal representative,
# unless she withdrew hers (her own withdrawal always wins: a later consent of
# her own is active again). Nobody whose registration consent is withdrawn
# (her data is no longer processed) or who was anonymised.
RESEARCH_MICRODATA = """
SELECT p.id FROM persons p
WHERE p.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM registration_withdrawn r WHERE r.person_id = p.id)
AND (
    EXISTS (SELECT 1 FROM consents c WHERE c.person_id = p.id AND c.purpose = 'research' AND c.withdrawn_at IS NULL)
    OR (
        EXISTS (SELECT 1 FROM care_links l JOIN consents c ON c.person_id = l.caregiver_id
                AND c.purpose = 'research' AND c.withdrawn_at IS NULL
                WHERE l.cared_id = p.id AND l.legal_representative = 1)
        AND NOT EXISTS (SELECT 1 FROM consents w WHERE w.person_id = p.id AND w.purpose = 'research')
    )
)"""


def registration_withdrawn_on(db: Database, person_id: int) -> str | None:
    """When she withdrew her registration consent, if she did and has not
    given it again (the view registration_withdrawn, migration 0017): from
    then on no new processing (bookings, enrolments), which its triggers also enforce."""
    return db.execute(
        "SELECT max(withdrawn_at) FROM registration_withdrawn WHERE person_id = ?", [person_id]
    ).fetchone()[0]
