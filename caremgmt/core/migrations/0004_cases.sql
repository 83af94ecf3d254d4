-- One open case per person, notes that cannot be rewritten, at most one
-- primary and one secondary diploma per person: all held by the schema.

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
