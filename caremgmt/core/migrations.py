"""Versioned schema changes. Append new migrations; never edit an applied one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("caremgmt")


@migrations(name="0001_registry")
def registry_schema(db: Database) -> None:
    db.executescript(
        """
CREATE TABLE localities (
    code INTEGER PRIMARY KEY CHECK (code BETWEEN 1 AND 20),
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE blocks (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 2 AND 20),
    name TEXT NOT NULL,
    locality_code INTEGER REFERENCES localities(code),
    kind TEXT NOT NULL DEFAULT 'block' CHECK (kind IN ('block', 'bus')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('frontdesk', 'coordinator', 'evaluator', 'admin')),
    block_code TEXT REFERENCES blocks(code),
    language TEXT NOT NULL DEFAULT 'es' CHECK (language IN ('es', 'en')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    doc_type TEXT CHECK (doc_type IN ('CC', 'TI', 'RC', 'CE', 'PPT', 'PEP', 'PA')),
    doc_number TEXT,
    first_names TEXT NOT NULL,
    last_names TEXT NOT NULL,
    search_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT,
    gender_identity TEXT,
    phone TEXT,
    locality_code INTEGER REFERENCES localities(code),
    neighbourhood TEXT,
    stratum INTEGER CHECK (stratum BETWEEN 1 AND 6),
    ethnicity TEXT,
    disability TEXT,
    migrant_status TEXT,
    education_level TEXT,
    care_hours_per_day REAL CHECK (care_hours_per_day BETWEEN 0 AND 24),
    registration_channel TEXT,
    home_block TEXT REFERENCES blocks(code),
    is_caregiver INTEGER NOT NULL DEFAULT 0 CHECK (is_caregiver IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_at TEXT NOT NULL,
    CHECK ((doc_type IS NULL) = (doc_number IS NULL))
);
CREATE UNIQUE INDEX persons_document ON persons(doc_number, doc_type);
CREATE INDEX persons_phone ON persons(phone) WHERE phone IS NOT NULL;
CREATE INDEX persons_birth_date ON persons(birth_date);
CREATE INDEX persons_home_block ON persons(home_block);
CREATE VIRTUAL TABLE persons_fts USING fts5(
    search_name, content='persons', content_rowid='id',
    tokenize="unicode61 remove_diacritics 2"
);
CREATE VIRTUAL TABLE persons_fts_vocab USING fts5vocab(persons_fts, 'row');
CREATE TRIGGER persons_fts_insert AFTER INSERT ON persons BEGIN
    INSERT INTO persons_fts(rowid, search_name) VALUES (new.id, new.search_name);
END;
CREATE TRIGGER persons_fts_delete AFTER DELETE ON persons BEGIN
    INSERT INTO persons_fts(persons_fts, rowid, search_name)
        VALUES ('delete', old.id, old.search_name);
END;
CREATE TRIGGER persons_fts_update AFTER UPDATE OF search_name ON persons BEGIN
    INSERT INTO persons_fts(persons_fts, rowid, search_name)
        VALUES ('delete', old.id, old.search_name);
    INSERT INTO persons_fts(rowid, search_name) VALUES (new.id, new.search_name);
END;
CREATE TABLE care_links (
    caregiver_id INTEGER NOT NULL REFERENCES persons(id),
    cared_id INTEGER NOT NULL REFERENCES persons(id),
    relationship TEXT NOT NULL,
    care_need TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (caregiver_id, cared_id),
    CHECK (caregiver_id <> cared_id)
);
CREATE INDEX care_links_cared ON care_links(cared_id);
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'reminders', 'research')),
    text_version TEXT NOT NULL,
    given_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    withdrawn_at TEXT,
    withdrawn_by INTEGER REFERENCES users(id)
);
CREATE INDEX consents_person ON consents(person_id);
CREATE UNIQUE INDEX consents_one_active ON consents(person_id, purpose) WHERE withdrawn_at IS NULL;
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    person_id INTEGER,
    old_values TEXT,
    new_values TEXT,
    detail TEXT
);
CREATE INDEX audit_log_person ON audit_log(person_id) WHERE person_id IS NOT NULL;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
"""
    )


@migrations(name="0002_name_terms")
def name_terms(db: Database) -> None:
    # Distinct name words, so a search can correct one typo per word by
    # scanning this small table instead of the full-text index.
    db.executescript(
        """
CREATE TABLE name_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
"""
    )


@migrations(name="0003_scheduling")
def scheduling_schema(db: Database) -> None:
    # service -> schedule -> session -> participant -> attendance (delivery).
    # Capacity is a CHECK on sessions.booked_count, kept by triggers, so no
    # writer can overbook whatever it checked before; overlapping bookings
    # of one person are refused by a trigger too.
    db.executescript(
        """
CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'activity' CHECK (kind IN ('activity', 'laundry')),
    audience TEXT NOT NULL CHECK (audience IN ('caregiver', 'cared', 'anyone')),
    name_es TEXT NOT NULL,
    name_en TEXT NOT NULL,
    default_minutes INTEGER NOT NULL CHECK (default_minutes BETWEEN 15 AND 600),
    min_age INTEGER,
    max_age INTEGER,
    care_need TEXT,
    care_hours_rule TEXT NOT NULL DEFAULT 'none' CHECK (care_hours_rule IN ('simultaneity', 'per_unit', 'none')),
    hours_per_unit REAL NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services(id),
    block_code TEXT NOT NULL REFERENCES blocks(code),
    room TEXT,
    facilitator TEXT,
    weekdays TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    slot_minutes INTEGER,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    ended_on TEXT,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id)
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    schedule_id INTEGER REFERENCES schedules(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    block_code TEXT NOT NULL REFERENCES blocks(code),
    room TEXT,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    booked_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    note TEXT,
    CHECK (ends_at > starts_at),
    CHECK (booked_count BETWEEN 0 AND capacity)
);
CREATE INDEX sessions_block_time ON sessions(block_code, starts_at);
CREATE INDEX sessions_schedule ON sessions(schedule_id, starts_at);
CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    status TEXT NOT NULL CHECK (status IN ('booked', 'waitlisted', 'cancelled')),
    load_status TEXT CHECK (load_status IN ('booked', 'dropped_off', 'ready', 'collected', 'no_show')),
    care_for_participant INTEGER REFERENCES participants(id),
    booked_at TEXT NOT NULL,
    booked_by INTEGER REFERENCES users(id),
    changed_at TEXT NOT NULL,
    UNIQUE (session_id, person_id)
);
CREATE INDEX participants_person ON participants(person_id, status);
CREATE INDEX participants_waitlist ON participants(session_id, status, id);
CREATE TRIGGER participants_count_insert AFTER INSERT ON participants WHEN new.status = 'booked' BEGIN
    UPDATE sessions SET booked_count = booked_count + 1 WHERE id = new.session_id;
END;
CREATE TRIGGER participants_count_update AFTER UPDATE OF status ON participants
WHEN (old.status = 'booked') <> (new.status = 'booked') BEGIN
    UPDATE sessions SET booked_count = booked_count + (CASE WHEN new.status = 'booked' THEN 1 ELSE -1 END)
    WHERE id = new.session_id;
END;
CREATE TRIGGER participants_no_overlap_insert BEFORE INSERT ON participants
WHEN new.status IN ('booked', 'waitlisted') AND EXISTS (
    SELECT 1 FROM sessions mine
    JOIN services ms ON ms.id = mine.service_id AND ms.kind = 'activity'
    JOIN participants p ON p.person_id = new.person_id AND p.status IN ('booked', 'waitlisted')
    JOIN sessions other ON other.id = p.session_id AND other.status = 'scheduled'
    JOIN services os ON os.id = other.service_id AND os.kind = 'activity'
    WHERE mine.id = new.session_id AND other.starts_at < mine.ends_at AND mine.starts_at < other.ends_at
) BEGIN
    SELECT RAISE(ABORT, 'overlapping booking');
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
    SELECT RAISE(ABORT, 'overlapping booking');
END;
CREATE TABLE attendance (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    status TEXT NOT NULL CHECK (status IN ('present', 'excused', 'absent')),
    quantity REAL NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    walk_in INTEGER NOT NULL DEFAULT 0 CHECK (walk_in IN (0, 1)),
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    UNIQUE (session_id, person_id)
);
CREATE INDEX attendance_person ON attendance(person_id, session_id);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
    )


@migrations(name="0004_cases")
def cases_schema(db: Database) -> None:
    # One open case per person, notes that cannot be rewritten, at most one
    # primary and one secondary diploma per person: all held by the schema.
    db.executescript(
        """
CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sector TEXT NOT NULL,
    contact TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    block_code TEXT REFERENCES blocks(code),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high')),
    case_worker_id INTEGER REFERENCES users(id),
    opened_at TEXT NOT NULL,
    opened_by INTEGER REFERENCES users(id),
    closed_at TEXT,
    closed_by INTEGER REFERENCES users(id),
    close_reason TEXT
);
CREATE UNIQUE INDEX cases_one_open ON cases(person_id) WHERE status = 'open';
CREATE INDEX cases_worker ON cases(case_worker_id, status);
CREATE INDEX cases_block ON cases(block_code, status);
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    assessed_on TEXT NOT NULL,
    assessed_by INTEGER REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE TABLE assessment_scores (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    domain TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    PRIMARY KEY (assessment_id, domain)
);
CREATE TABLE case_goals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    domain TEXT NOT NULL,
    description TEXT NOT NULL,
    target_date TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'achieved', 'dropped')),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_at TEXT NOT NULL
);
CREATE TABLE case_notes (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    author_id INTEGER REFERENCES users(id),
    written_at TEXT NOT NULL,
    body TEXT NOT NULL CHECK (length(trim(body)) > 0),
    confidential INTEGER NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1)),
    corrects_note_id INTEGER REFERENCES case_notes(id)
);
CREATE INDEX case_notes_case ON case_notes(case_id);
CREATE TRIGGER case_notes_no_update BEFORE UPDATE ON case_notes BEGIN
    SELECT RAISE(ABORT, 'case notes are never edited: write a correction');
END;
CREATE TRIGGER case_notes_no_delete BEFORE DELETE ON case_notes BEGIN
    SELECT RAISE(ABORT, 'case notes are never deleted');
END;
CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    target TEXT NOT NULL CHECK (target IN ('internal', 'external')),
    institution_id INTEGER REFERENCES institutions(id),
    service_id INTEGER REFERENCES services(id),
    participant_id INTEGER REFERENCES participants(id),
    enrolment_id INTEGER,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'accepted', 'completed', 'rejected')),
    sent_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    accepted_on TEXT,
    closed_on TEXT,
    created_by INTEGER REFERENCES users(id),
    CHECK ((target = 'external') = (institution_id IS NOT NULL))
);
CREATE INDEX referrals_case ON referrals(case_id);
CREATE INDEX referrals_open ON referrals(status, due_on);
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    description TEXT NOT NULL,
    due_on TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    done_at TEXT,
    done_by INTEGER REFERENCES users(id)
);
CREATE INDEX tasks_owner ON tasks(owner_id, status, due_on);
CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    programme TEXT NOT NULL,
    block_code TEXT REFERENCES blocks(code),
    status TEXT NOT NULL CHECK (status IN ('applied', 'waitlisted', 'enrolled', 'active', 'completed', 'withdrawn')),
    applied_on TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id)
);
CREATE UNIQUE INDEX enrolments_one_current ON enrolments(person_id, programme)
    WHERE status IN ('applied', 'waitlisted', 'enrolled', 'active');
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL CHECK (kind IN ('primary_diploma', 'secondary_diploma', 'technical_certificate', 'job', 'business', 'other')),
    achieved_on TEXT NOT NULL,
    institution TEXT,
    evidence TEXT,
    course TEXT,
    hours REAL CHECK (hours IS NULL OR hours > 0),
    description TEXT,
    enrolment_id INTEGER REFERENCES enrolments(id),
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id)
);
CREATE UNIQUE INDEX outcomes_one_diploma ON outcomes(person_id, kind) WHERE kind IN ('primary_diploma', 'secondary_diploma');
CREATE INDEX outcomes_kind_date ON outcomes(kind, achieved_on);
"""
    )


@migrations(name="0005_duplicate_check_index")
def duplicate_check_index(db: Database) -> None:
    # The probable-duplicate check compares everyone born in a two-month
    # window; with the folded name and phone in the index it never reads the
    # table itself (a few thousand people at city scale).
    db.executescript(
        """
CREATE INDEX persons_birth_name ON persons(birth_date, search_name, phone);
DROP INDEX persons_birth_date;
"""
    )


# Every change that can alter a day's impact facts marks that day (the
# session's local date) stale, in the writer's own transaction; readers rebuild
# stale days before they read (caremgmt.impact.contact_facts). "WHERE stale = 0"
# keeps a busy day from being rewritten on every roster row.
_MARK_DAYS = """
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) {source}
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;"""
_PERSON_DAYS = "FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = {person}"


def _changed(*columns: str) -> str:
    """Trigger condition: an UPDATE that really changes one of ``columns``."""
    return " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)


def _session_row_triggers(table: str, columns: tuple[str, ...]) -> str:
    """Triggers marking the session's day stale when a row of ``table`` is
    added, removed, or changes one of ``columns``."""
    day = "FROM sessions s WHERE s.id = {row}.session_id"
    return f"""
CREATE TRIGGER {table}_facts_insert AFTER INSERT ON {table} BEGIN
    {_MARK_DAYS.format(source=day.format(row="new"))}
END;
CREATE TRIGGER {table}_facts_delete AFTER DELETE ON {table} BEGIN
    {_MARK_DAYS.format(source=day.format(row="old"))}
END;
CREATE TRIGGER {table}_facts_update AFTER UPDATE ON {table} WHEN {_changed(*columns)} BEGIN
    {_MARK_DAYS.format(source=day.format(row="old"))}
    {_MARK_DAYS.format(source=day.format(row="new"))}
END;"""


@migrations(name="0006_contact_facts")
def contact_facts(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE contact_days (
    day TEXT PRIMARY KEY,
    facts BLOB,
    sessions BLOB,
    stale INTEGER NOT NULL DEFAULT 1 CHECK (stale IN (0, 1))
);
CREATE INDEX contact_days_stale ON contact_days(stale, day);
CREATE INDEX sessions_starts ON sessions(starts_at);
CREATE INDEX persons_created ON persons(created_at, home_block, locality_code);
CREATE INDEX outcomes_person ON outcomes(person_id);
INSERT INTO contact_days (day) SELECT DISTINCT substr(starts_at, 1, 10) FROM sessions WHERE true;

{_session_row_triggers("attendance", ("status", "quantity", "session_id", "person_id"))}
{_session_row_triggers("participants", ("status", "load_status", "session_id"))}
CREATE TRIGGER sessions_facts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO contact_days (day) VALUES (substr(new.starts_at, 1, 10)) ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER sessions_facts_update AFTER UPDATE ON sessions
WHEN {_changed("starts_at", "ends_at", "block_code", "service_id", "status", "capacity", "booked_count")} BEGIN
    INSERT INTO contact_days (day) VALUES (substr(old.starts_at, 1, 10)), (substr(new.starts_at, 1, 10))
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER persons_facts_update AFTER UPDATE ON persons
WHEN {_changed("birth_date", "stratum", "ethnicity", "disability", "migrant_status", "is_caregiver")} BEGIN
    {_MARK_DAYS.format(source=_PERSON_DAYS.format(person="new.id"))}
END;
CREATE TRIGGER care_links_facts_insert AFTER INSERT ON care_links BEGIN
    {_MARK_DAYS.format(source=_PERSON_DAYS.format(person="new.caregiver_id"))}
END;
CREATE TRIGGER care_links_facts_delete AFTER DELETE ON care_links BEGIN
    {_MARK_DAYS.format(source=_PERSON_DAYS.format(person="old.caregiver_id"))}
END;
CREATE TRIGGER services_facts_update AFTER UPDATE ON services
WHEN {_changed("category", "care_hours_rule", "hours_per_unit", "audience", "kind")} BEGIN
    {_MARK_DAYS.format(source="FROM sessions s WHERE s.service_id = new.id")}
END;
CREATE TRIGGER blocks_facts_update AFTER UPDATE ON blocks WHEN {_changed("locality_code")} BEGIN
    {_MARK_DAYS.format(source="FROM sessions s WHERE s.block_code = new.code")}
END;
"""
    )
