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
WHERE p.erased_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM consents w WHERE w.person_id = p.id AND w.purpose = 'registration' AND w.withdrawn_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM consents a WHERE a.person_id = p.id AND a.purpose = 'registration'
                    AND a.withdrawn_at IS NULL))
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
    given it again: from then on no new processing (bookings, enrolments),
    which migration 0017's triggers also enforce."""
    row = db.execute(
        "SELECT max(w.withdrawn_at) FROM consents w WHERE w.person_id = ? AND w.purpose = 'registration'"
        " AND NOT EXISTS (SELECT 1 FROM consents a WHERE a.person_id = w.person_id AND a.purpose = 'registration'"
        " AND a.withdrawn_at IS NULL)",
        [person_id],
    ).fetchone()
    return row[0]
