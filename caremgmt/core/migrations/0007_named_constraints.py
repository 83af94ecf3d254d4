"""Names for the rules whose refusals the code turns into messages.

The code used to recognise them by SQLite's wording ("CHECK constraint
failed", "UNIQUE", "overlapping booking"); now each has a name, which
caremgmt.core.db.violated(error, name) matches:

- ``sessions_within_capacity``: the CHECK (booked_count BETWEEN 0 AND
  capacity) of sessions, named where it stands (table_edit: naming a CHECK
  changes no stored row, so no rebuild of a table of millions of rows).
  SQLite reports "CHECK constraint failed: sessions_within_capacity".
- ``participants_no_overlap``: the two triggers that refuse overlapping
  bookings, recreated with the same names and conditions, raising
  "participants_no_overlap: overlapping booking" (dropped IF EXISTS: a bulk
  load killed half-way, tools/demo_city, may have left one dropped).
- ``persons_document`` and ``outcomes_one_diploma``: a unique index reports
  its columns, not its name, so triggers named after the index check first
  and raise "<name>: ..."; the index stays, as the backstop and for lookups.
  A RAISE(ABORT) ignores the statement's conflict clause: an INSERT OR IGNORE
  of a duplicate document fails rather than being skipped (no code does that).

Every SQL text below is literal and final, like an SQL migration's.
"""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.core.migrations.table_edit import edit_table

CAPACITY = (
    "    CHECK (booked_count BETWEEN 0 AND capacity)\n",
    "    CONSTRAINT sessions_within_capacity CHECK (booked_count BETWEEN 0 AND capacity)\n",
)

TRIGGERS = """
DROP TRIGGER IF EXISTS participants_no_overlap_insert;
DROP TRIGGER IF EXISTS participants_no_overlap_update;
CREATE TRIGGER participants_no_overlap_insert BEFORE INSERT ON participants
WHEN new.status IN ('booked', 'waitlisted') AND EXISTS (
    SELECT 1 FROM sessions mine
    JOIN services ms ON ms.id = mine.service_id AND ms.kind = 'activity'
    JOIN participants p ON p.person_id = new.person_id AND p.status IN ('booked', 'waitlisted')
    JOIN sessions other ON other.id = p.session_id AND other.status = 'scheduled'
    JOIN services os ON os.id = other.service_id AND os.kind = 'activity'
    WHERE mine.id = new.session_id AND other.starts_at < mine.ends_at AND mine.starts_at < other.ends_at
) BEGIN
    SELECT RAISE(ABORT, 'participants_no_overlap: overlapping booking');
END;
CREATE TRIGGER participants_no_overlap_update BEFORE UPDATE OF status ON participants
WHEN old.status = 'cancelled' AND new.status IN ('booked', 'waitlisted') AND EXISTS (
    SELECT 1 FROM sessions mine
    JOIN services ms ON ms.id = mine.service_id AND ms.kind = 'activity'
    JOIN participants p ON p.person_id = new.person_id AND p.status IN ('booked', 'waitlisted') AND p.id <> new.id
    JOIN sessions other ON other.id = p.session_id AND other.status = 'scheduled'
    JOIN services os ON os.id = other.service_id AND os.kind = 'activity'
    WHERE mine.id = new.session_id AND other.starts_at < mine.ends_at AND mine.starts_at < other.ends_at
) BEGIN
    SELECT RAISE(ABORT, 'participants_no_overlap: overlapping booking');
END;
CREATE TRIGGER persons_document_insert BEFORE INSERT ON persons
WHEN new.doc_number IS NOT NULL AND EXISTS (
    SELECT 1 FROM persons WHERE doc_number = new.doc_number AND doc_type = new.doc_type
) BEGIN
    SELECT RAISE(ABORT, 'persons_document: a person with this document is already registered');
END;
CREATE TRIGGER persons_document_update BEFORE UPDATE OF doc_type, doc_number ON persons
WHEN new.doc_number IS NOT NULL AND EXISTS (
    SELECT 1 FROM persons WHERE doc_number = new.doc_number AND doc_type = new.doc_type AND id <> new.id
) BEGIN
    SELECT RAISE(ABORT, 'persons_document: a person with this document is already registered');
END;
CREATE TRIGGER outcomes_one_diploma_insert BEFORE INSERT ON outcomes
WHEN new.kind IN ('primary_diploma', 'secondary_diploma') AND EXISTS (
    SELECT 1 FROM outcomes WHERE person_id = new.person_id AND kind = new.kind
) BEGIN
    SELECT RAISE(ABORT, 'outcomes_one_diploma: this diploma is already recorded for this person');
END;
CREATE TRIGGER outcomes_one_diploma_update BEFORE UPDATE OF person_id, kind ON outcomes
WHEN new.kind IN ('primary_diploma', 'secondary_diploma') AND EXISTS (
    SELECT 1 FROM outcomes WHERE person_id = new.person_id AND kind = new.kind AND id <> new.id
) BEGIN
    SELECT RAISE(ABORT, 'outcomes_one_diploma: this diploma is already recorded for this person');
END;
"""


def migrate(db: Database) -> None:
    # The CHECK keeps its condition, so no stored row can break it: no full check of the table.
    edit_table(db, "sessions", [CAPACITY], verify=False)
    db.executescript(TRIGGERS)
