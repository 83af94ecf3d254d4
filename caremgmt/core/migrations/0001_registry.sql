-- The registry: localities, blocks, users, persons (with their full-text name
-- index), care links, consents and the append-only audit log.

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
