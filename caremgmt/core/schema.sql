-- The schema a fresh caremgmt database gets, as SQLite stores it (sqlite_master.sql):
-- every table, virtual table, index and trigger, grouped by the table they belong to
-- (tables by name; in each group the table, then its indexes, then its triggers, by name).
-- Left out: SQLite's own objects (sqlite_*, automatic indexes of UNIQUE and PRIMARY KEY),
-- the shadow tables SQLite makes for a virtual table, and sqlite-utils' record of
-- applied migrations (_sqlite_migrations and its index).
--
-- Generated; do not edit. After adding a migration: python -m caremgmt schema --write
-- (tests/core/test_schema.py checks that a fresh database and an upgraded one match it).

CREATE TABLE assessment_scores (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    domain TEXT NOT NULL CHECK (domain IN ('education', 'income_work', 'health', 'safety_violence', 'legal', 'emotional_wellbeing', 'care_load')),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    PRIMARY KEY (assessment_id, domain)
);

CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    assessed_on TEXT NOT NULL,
    assessed_by INTEGER REFERENCES users(id),
    recorded_at TEXT NOT NULL
);

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

CREATE TRIGGER attendance_facts_delete AFTER DELETE ON attendance BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER attendance_facts_insert AFTER INSERT ON attendance BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER attendance_facts_update AFTER UPDATE ON attendance WHEN old.status IS NOT new.status OR old.quantity IS NOT new.quantity OR old.session_id IS NOT new.session_id OR old.person_id IS NOT new.person_id BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER attendance_version_delete AFTER DELETE ON attendance BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER attendance_version_insert AFTER INSERT ON attendance BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER attendance_version_update AFTER UPDATE ON attendance BEGIN UPDATE data_version SET version = version + 1; END;

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

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE blocks (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 2 AND 20),
    name TEXT NOT NULL,
    locality_code INTEGER REFERENCES localities(code),
    kind TEXT NOT NULL DEFAULT 'block' CHECK (kind IN ('block', 'bus')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TRIGGER blocks_version_delete AFTER DELETE ON blocks BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER blocks_version_insert AFTER INSERT ON blocks BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER blocks_version_update AFTER UPDATE ON blocks BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TABLE care_links (
    caregiver_id INTEGER NOT NULL REFERENCES persons(id),
    cared_id INTEGER NOT NULL REFERENCES persons(id),
    relationship TEXT NOT NULL CHECK (relationship IN ('child', 'parent', 'grandchild', 'grandparent', 'spouse', 'sibling', 'other_relative', 'non_relative')),
    care_need TEXT NOT NULL CHECK (care_need IN ('child_under_6', 'older_person', 'disability', 'chronic_illness')),
    since TEXT NOT NULL, legal_representative INTEGER NOT NULL DEFAULT 0
    CHECK (legal_representative IN (0, 1)),
    PRIMARY KEY (caregiver_id, cared_id),
    CHECK (caregiver_id <> cared_id)
);

CREATE INDEX care_links_cared ON care_links(cared_id);

CREATE TRIGGER care_links_facts_delete AFTER DELETE ON care_links BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = old.caregiver_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER care_links_facts_insert AFTER INSERT ON care_links BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = new.caregiver_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER care_links_version_delete AFTER DELETE ON care_links BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER care_links_version_insert AFTER INSERT ON care_links BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER care_links_version_update AFTER UPDATE ON care_links BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TABLE case_goals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    domain TEXT NOT NULL CHECK (domain IN ('education', 'income_work', 'health', 'safety_violence', 'legal', 'emotional_wellbeing', 'care_load')),
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

CREATE TRIGGER case_notes_no_delete BEFORE DELETE ON case_notes BEGIN
    SELECT RAISE(ABORT, 'case notes are never deleted');
END;

CREATE TRIGGER case_notes_no_update BEFORE UPDATE ON case_notes BEGIN
    SELECT RAISE(ABORT, 'case notes are never edited: write a correction');
END;

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

CREATE INDEX cases_block ON cases(block_code, status);

CREATE UNIQUE INDEX cases_one_open ON cases(person_id) WHERE status = 'open';

CREATE INDEX cases_worker ON cases(case_worker_id, status);

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

CREATE UNIQUE INDEX consents_one_active ON consents(person_id, purpose) WHERE withdrawn_at IS NULL;

CREATE INDEX consents_person ON consents(person_id);

CREATE TABLE contact_days (
    day TEXT PRIMARY KEY,
    facts BLOB,
    sessions BLOB,
    stale INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX contact_days_stale ON contact_days(stale, day);

CREATE TABLE data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);

CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    programme TEXT NOT NULL CHECK (programme IN ('primary_completion', 'secondary_completion', 'technical_training')),
    block_code TEXT REFERENCES blocks(code),
    status TEXT NOT NULL CHECK (status IN ('applied', 'waitlisted', 'enrolled', 'active', 'completed', 'withdrawn')),
    applied_on TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id)
);

CREATE UNIQUE INDEX enrolments_one_current ON enrolments(person_id, programme)
    WHERE status IN ('applied', 'waitlisted', 'enrolled', 'active');

CREATE TRIGGER enrolments_registration_withdrawn BEFORE INSERT ON enrolments
WHEN EXISTS (SELECT 1 FROM registration_withdrawn r WHERE r.person_id = new.person_id)
BEGIN
    SELECT RAISE(ABORT, 'registration_withdrawn: no new enrolment');
END;

CREATE TABLE erasure_requests (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    requested_by INTEGER NOT NULL REFERENCES users(id),
    requested_at TEXT NOT NULL,
    confirmed_by INTEGER REFERENCES users(id),
    confirmed_at TEXT,
    CHECK (confirmed_by IS NULL OR confirmed_by <> requested_by)
);

CREATE UNIQUE INDEX erasure_requests_one_pending ON erasure_requests(person_id) WHERE confirmed_at IS NULL;

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sector TEXT NOT NULL CHECK (sector IN ('violence_protection', 'legal', 'training_employment', 'education', 'health', 'social_protection', 'other')),
    contact TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE localities (
    code INTEGER PRIMARY KEY CHECK (code BETWEEN 1 AND 20),
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE login_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL
);

CREATE TABLE login_sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT UNIQUE,
    claim_hash TEXT UNIQUE,
    claim_expires_at TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT CHECK (end_reason IN ('logout', 'idle', 'deactivated'))
, second_factor_due INTEGER NOT NULL DEFAULT 0
    CHECK (second_factor_due IN (0, 1)));

CREATE INDEX login_sessions_user ON login_sessions(user_id, ended_at);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures > 0),
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
) WITHOUT ROWID;

CREATE TABLE name_keys (
    name_key TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (name_key, birth_date, person_id)
) WITHOUT ROWID;

CREATE TABLE name_term_deletions (
    variant TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (variant, term)
) WITHOUT ROWID;

CREATE VIEW name_term_variants AS
SELECT t.term AS variant, t.term FROM name_terms t
UNION ALL
SELECT substr(t.term, 1, d.key) || substr(t.term, d.key + 2), t.term
FROM name_terms t, json_each('[' || rtrim(replace(hex(zeroblob(length(t.term))), '00', '0,'), ',') || ']') d
WHERE length(t.term) >= 3;

CREATE TABLE name_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TRIGGER name_terms_deletions_insert AFTER INSERT ON name_terms BEGIN
    INSERT OR IGNORE INTO name_term_deletions (variant, term)
        SELECT variant, term FROM name_term_variants WHERE term = new.term;
END;

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

CREATE INDEX outcomes_kind_date ON outcomes(kind, achieved_on);

CREATE UNIQUE INDEX outcomes_one_diploma ON outcomes(person_id, kind) WHERE kind IN ('primary_diploma', 'secondary_diploma');

CREATE INDEX outcomes_person ON outcomes(person_id);

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

CREATE TRIGGER outcomes_version_delete AFTER DELETE ON outcomes BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER outcomes_version_insert AFTER INSERT ON outcomes BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER outcomes_version_update AFTER UPDATE ON outcomes BEGIN UPDATE data_version SET version = version + 1; END;

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

CREATE TRIGGER participants_facts_delete AFTER DELETE ON participants BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER participants_facts_insert AFTER INSERT ON participants BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER participants_facts_update AFTER UPDATE ON participants WHEN old.status IS NOT new.status OR old.load_status IS NOT new.load_status OR old.session_id IS NOT new.session_id BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
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

CREATE TRIGGER participants_registration_withdrawn_insert BEFORE INSERT ON participants
WHEN new.status IN ('booked', 'waitlisted') AND EXISTS (SELECT 1 FROM registration_withdrawn r WHERE r.person_id = new.person_id)
BEGIN
    SELECT RAISE(ABORT, 'registration_withdrawn: no new booking');
END;

CREATE TRIGGER participants_registration_withdrawn_update BEFORE UPDATE OF status ON participants
WHEN old.status = 'cancelled' AND new.status IN ('booked', 'waitlisted')
  AND EXISTS (SELECT 1 FROM registration_withdrawn r WHERE r.person_id = new.person_id)
BEGIN
    SELECT RAISE(ABORT, 'registration_withdrawn: no new booking');
END;

CREATE TRIGGER participants_version_delete AFTER DELETE ON participants BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER participants_version_insert AFTER INSERT ON participants BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER participants_version_update AFTER UPDATE ON participants BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TABLE person_keys (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    year TEXT NOT NULL,
    key BLOB NOT NULL,
    PRIMARY KEY (person_id, year)
);

CREATE VIEW person_name_keys AS
SELECT p.id AS person_id, p.birth_date,
       CASE WHEN a.value = b.value THEN a.value ELSE a.value || ' ' || b.value END AS name_key
FROM persons p,
     json_each('[' || replace(json_quote(p.search_name), ' ', '","') || ']') a,
     json_each('[' || replace(json_quote(p.search_name), ' ', '","') || ']') b
WHERE a.value <> '' AND (
    b.value > a.value
    OR (b.key = a.key AND NOT EXISTS (
        SELECT 1 FROM json_each('[' || replace(json_quote(p.search_name), ' ', '","') || ']') c
        WHERE c.value <> '' AND c.value <> a.value
    ))
)
UNION ALL
SELECT p.id, p.birth_date, '=' || (
    SELECT group_concat(value, ' ') FROM (
        SELECT value FROM json_each('[' || replace(json_quote(p.search_name), ' ', '","') || ']')
        WHERE value <> '' ORDER BY value
    )
)
FROM persons p
WHERE trim(p.search_name, ' ') <> '';

CREATE TABLE person_record_keys (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    record_key INTEGER NOT NULL CHECK (record_key BETWEEN 0 AND 4095)
);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    doc_type TEXT CHECK (doc_type IN ('CC', 'TI', 'RC', 'CE', 'PPT', 'PEP', 'PA')),
    doc_number TEXT,
    first_names TEXT NOT NULL,
    last_names TEXT NOT NULL,
    search_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT CHECK (sex IN ('F', 'M', 'I')),
    gender_identity TEXT CHECK (gender_identity IN ('female', 'male', 'trans', 'non_binary', 'other', 'not_said')),
    phone TEXT,
    locality_code INTEGER REFERENCES localities(code),
    neighbourhood TEXT,
    stratum INTEGER CHECK (stratum BETWEEN 1 AND 6),
    ethnicity TEXT CHECK (ethnicity IN ('none', 'indigenous', 'afro', 'raizal', 'palenquero', 'rrom')),
    disability TEXT CHECK (disability IN ('none', 'physical', 'visual', 'hearing', 'intellectual', 'psychosocial', 'multiple')),
    migrant_status TEXT CHECK (migrant_status IN ('colombian', 'migrant_regular', 'migrant_irregular', 'returned')),
    education_level TEXT CHECK (education_level IN ('none', 'primary_incomplete', 'primary', 'secondary_incomplete', 'secondary', 'technical', 'university', 'postgraduate')),
    care_hours_per_day REAL CHECK (care_hours_per_day BETWEEN 0 AND 24),
    registration_channel TEXT CHECK (registration_channel IN ('front_desk', 'bus', 'outreach', 'self_preregistration')),
    home_block TEXT REFERENCES blocks(code),
    is_caregiver INTEGER NOT NULL DEFAULT 0 CHECK (is_caregiver IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_at TEXT NOT NULL, synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)), erased_at TEXT,
    CHECK ((doc_type IS NULL) = (doc_number IS NULL))
);

CREATE INDEX persons_birth_name ON persons(birth_date, search_name, phone);

CREATE INDEX persons_created ON persons(created_at, home_block, locality_code);

CREATE UNIQUE INDEX persons_document ON persons(doc_number, doc_type);

CREATE INDEX persons_home_block ON persons(home_block);

CREATE INDEX persons_phone ON persons(phone) WHERE phone IS NOT NULL;

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

CREATE TRIGGER persons_facts_update AFTER UPDATE ON persons
WHEN old.created_at IS NOT new.created_at OR old.home_block IS NOT new.home_block OR old.locality_code IS NOT new.locality_code OR old.birth_date IS NOT new.birth_date OR old.stratum IS NOT new.stratum OR old.ethnicity IS NOT new.ethnicity OR old.disability IS NOT new.disability OR old.migrant_status IS NOT new.migrant_status OR old.is_caregiver IS NOT new.is_caregiver BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = new.id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER persons_fts_delete AFTER DELETE ON persons BEGIN
    INSERT INTO persons_fts(persons_fts, rowid, search_name)
        VALUES ('delete', old.id, old.search_name);
END;

CREATE TRIGGER persons_fts_insert AFTER INSERT ON persons BEGIN
    INSERT INTO persons_fts(rowid, search_name) VALUES (new.id, new.search_name);
END;

CREATE TRIGGER persons_fts_update AFTER UPDATE OF search_name ON persons BEGIN
    INSERT INTO persons_fts(persons_fts, rowid, search_name)
        VALUES ('delete', old.id, old.search_name);
    INSERT INTO persons_fts(rowid, search_name) VALUES (new.id, new.search_name);
END;

CREATE TRIGGER persons_name_keys_before_update BEFORE UPDATE OF search_name, birth_date ON persons BEGIN
    DELETE FROM name_keys WHERE person_id = old.id AND birth_date = old.birth_date
        AND name_key IN (SELECT name_key FROM person_name_keys WHERE person_id = old.id);
END;

CREATE TRIGGER persons_name_keys_delete BEFORE DELETE ON persons BEGIN
    DELETE FROM name_keys WHERE person_id = old.id AND birth_date = old.birth_date
        AND name_key IN (SELECT name_key FROM person_name_keys WHERE person_id = old.id);
END;

CREATE TRIGGER persons_name_keys_insert AFTER INSERT ON persons BEGIN
    INSERT OR IGNORE INTO name_keys (name_key, birth_date, person_id)
        SELECT name_key, birth_date, person_id FROM person_name_keys WHERE person_id = new.id;
    INSERT OR IGNORE INTO name_terms (term)
        SELECT value FROM json_each('[' || replace(json_quote(new.search_name), ' ', '","') || ']') WHERE value <> '';
END;

CREATE TRIGGER persons_name_keys_update AFTER UPDATE OF search_name, birth_date ON persons BEGIN
    INSERT OR IGNORE INTO name_keys (name_key, birth_date, person_id)
        SELECT name_key, birth_date, person_id FROM person_name_keys WHERE person_id = new.id;
    INSERT OR IGNORE INTO name_terms (term)
        SELECT value FROM json_each('[' || replace(json_quote(new.search_name), ' ', '","') || ']') WHERE value <> '';
END;

CREATE TRIGGER persons_record_key AFTER INSERT ON persons BEGIN
    INSERT INTO person_record_keys (person_id, record_key) VALUES (new.id, abs(random()) % 4096);
END;

CREATE TRIGGER persons_registrations_delete AFTER DELETE ON persons BEGIN
    UPDATE registrations_by_day SET persons = persons - 1
    WHERE day = coalesce(date(old.created_at, '-5 hours'), old.created_at) AND home_block = coalesce(old.home_block, '') AND locality_code = coalesce(old.locality_code, 0);
END;

CREATE TRIGGER persons_registrations_insert AFTER INSERT ON persons BEGIN
    INSERT INTO registrations_by_day (day, home_block, locality_code, persons)
    VALUES (coalesce(date(new.created_at, '-5 hours'), new.created_at), coalesce(new.home_block, ''), coalesce(new.locality_code, 0), 1)
    ON CONFLICT DO UPDATE SET persons = persons + 1;
END;

CREATE TRIGGER persons_registrations_update AFTER UPDATE ON persons
WHEN old.created_at IS NOT new.created_at OR old.home_block IS NOT new.home_block OR old.locality_code IS NOT new.locality_code BEGIN
    UPDATE registrations_by_day SET persons = persons - 1
    WHERE day = coalesce(date(old.created_at, '-5 hours'), old.created_at) AND home_block = coalesce(old.home_block, '') AND locality_code = coalesce(old.locality_code, 0);
    INSERT INTO registrations_by_day (day, home_block, locality_code, persons)
    VALUES (coalesce(date(new.created_at, '-5 hours'), new.created_at), coalesce(new.home_block, ''), coalesce(new.locality_code, 0), 1)
    ON CONFLICT DO UPDATE SET persons = persons + 1;
END;

CREATE TRIGGER persons_version_delete AFTER DELETE ON persons BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER persons_version_insert AFTER INSERT ON persons BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER persons_version_update AFTER UPDATE ON persons BEGIN UPDATE data_version SET version = version + 1; END;

CREATE VIRTUAL TABLE persons_fts USING fts5(
    search_name, content='persons', content_rowid='id',
    tokenize="unicode61 remove_diacritics 2"
);

CREATE VIRTUAL TABLE persons_fts_vocab USING fts5vocab(persons_fts, 'row');

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    used_at TEXT
);

CREATE INDEX recovery_codes_user ON recovery_codes(user_id, used_at);

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

CREATE VIEW registration_withdrawn AS
SELECT w.person_id, w.withdrawn_at FROM consents w
WHERE w.purpose = 'registration' AND w.withdrawn_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM consents a WHERE a.person_id = w.person_id AND a.purpose = 'registration'
                  AND a.withdrawn_at IS NULL);

CREATE TABLE registrations_by_day (
    day TEXT NOT NULL,
    home_block TEXT NOT NULL,
    locality_code INTEGER NOT NULL,
    persons INTEGER NOT NULL,
    PRIMARY KEY (day, home_block, locality_code)
) WITHOUT ROWID;

CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    manifest TEXT NOT NULL
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

CREATE TABLE second_factors (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    secret TEXT,
    confirmed_at TEXT,
    last_step INTEGER,
    pending_secret TEXT,
    pending_at TEXT,
    CHECK ((secret IS NULL) = (confirmed_at IS NULL)),
    CHECK ((pending_secret IS NULL) = (pending_at IS NULL))
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL CHECK (category IN ('respite_wellbeing', 'education_training', 'income_generation', 'legal_psychosocial', 'laundry', 'children_care', 'older_persons', 'disability_activities', 'cultural_change')),
    kind TEXT NOT NULL DEFAULT 'activity' CHECK (kind IN ('activity', 'laundry')),
    audience TEXT NOT NULL CHECK (audience IN ('caregiver', 'cared', 'anyone')),
    name_es TEXT NOT NULL,
    name_en TEXT NOT NULL,
    default_minutes INTEGER NOT NULL CHECK (default_minutes BETWEEN 15 AND 600),
    min_age INTEGER,
    max_age INTEGER,
    care_need TEXT CHECK (care_need IN ('child_under_6', 'older_person', 'disability', 'chronic_illness')),
    care_hours_rule TEXT NOT NULL DEFAULT 'none' CHECK (care_hours_rule IN ('simultaneity', 'per_unit', 'none')),
    hours_per_unit REAL NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TRIGGER services_version_delete AFTER DELETE ON services BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER services_version_insert AFTER INSERT ON services BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER services_version_update AFTER UPDATE ON services BEGIN UPDATE data_version SET version = version + 1; END;

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
    CONSTRAINT sessions_within_capacity CHECK (booked_count BETWEEN 0 AND capacity)
);

CREATE INDEX sessions_block_time ON sessions(block_code, starts_at);

CREATE INDEX sessions_schedule ON sessions(schedule_id, starts_at);

CREATE INDEX sessions_starts ON sessions(starts_at);

CREATE TRIGGER sessions_facts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO contact_days (day) VALUES (substr(new.starts_at, 1, 10)) ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER sessions_facts_update AFTER UPDATE ON sessions
WHEN old.starts_at IS NOT new.starts_at OR old.ends_at IS NOT new.ends_at OR old.block_code IS NOT new.block_code OR old.service_id IS NOT new.service_id OR old.status IS NOT new.status OR old.capacity IS NOT new.capacity OR old.booked_count IS NOT new.booked_count BEGIN
    INSERT INTO contact_days (day) VALUES (substr(old.starts_at, 1, 10)), (substr(new.starts_at, 1, 10))
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TRIGGER sessions_version_delete AFTER DELETE ON sessions BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER sessions_version_insert AFTER INSERT ON sessions BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TRIGGER sessions_version_update AFTER UPDATE ON sessions BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

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

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('frontdesk', 'coordinator', 'evaluator', 'admin')),
    block_code TEXT REFERENCES blocks(code),
    language TEXT NOT NULL DEFAULT 'es' CHECK (language IN ('es', 'en')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
, must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1)), synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)), email TEXT COLLATE NOCASE, password_login INTEGER NOT NULL DEFAULT 1 CHECK (password_login IN (0, 1)));

CREATE UNIQUE INDEX users_email ON users(email) WHERE email IS NOT NULL;

CREATE TRIGGER users_email_insert BEFORE INSERT ON users
WHEN new.email IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email = new.email) BEGIN
    SELECT RAISE(ABORT, 'users_email: another account has this e-mail');
END;

CREATE TRIGGER users_email_update BEFORE UPDATE OF email ON users
WHEN new.email IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email = new.email AND id <> new.id) BEGIN
    SELECT RAISE(ABORT, 'users_email: another account has this e-mail');
END;
