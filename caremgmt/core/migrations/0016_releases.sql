-- Data releases (caremgmt.impact.releases).
--
-- A person cared for who cannot consent herself (a child) is in research
-- microdata only on the consent of the caregiver recorded as her legal
-- representative, not of any caregiver linked to her. Backfilled for a
-- child under 18 whose caregiver is her parent (relationship 'child': the cared
-- person is the caregiver's child), whom Colombian law makes her representative;
-- every other link waits for the desk to record it.
ALTER TABLE care_links ADD COLUMN legal_representative INTEGER NOT NULL DEFAULT 0
    CHECK (legal_representative IN (0, 1));
UPDATE care_links SET legal_representative = 1
WHERE relationship = 'child'
  AND cared_id IN (SELECT id FROM persons WHERE birth_date > date('now', '-18 years'));

-- The cell-key method: each person carries a fixed random key; a released
-- count is perturbed by a function of the sum of its contributors' keys, so
-- the same cell always gets the same value, whatever the query that asked.
-- Not a secret of the person's (it identifies no one) and kept at erasure.
CREATE TABLE person_record_keys (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    record_key INTEGER NOT NULL CHECK (record_key BETWEEN 0 AND 4095)
);
INSERT INTO person_record_keys (person_id, record_key) SELECT id, abs(random()) % 4096 FROM persons;
CREATE TRIGGER persons_record_key AFTER INSERT ON persons BEGIN
    INSERT INTO person_record_keys (person_id, record_key) VALUES (new.id, abs(random()) % 4096);
END;

-- Every release taken: its manifest (what, who, when, filters, row counts,
-- checksums). Never its pseudonym key, which lives only while it is written.
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    manifest TEXT NOT NULL
);

-- Releases draw a key each: the deployment-wide export key of old is not needed
-- any more, and without it nobody can link old exports to the registry.
DELETE FROM settings WHERE key = 'export_secret';
