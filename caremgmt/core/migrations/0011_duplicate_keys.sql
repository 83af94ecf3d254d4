-- Desk look-ups that do not grow with the registry: the keys of the
-- probable-duplicate check and of name search, and an index of the name words
-- within one edit of each other (caremgmt.registry.keys, .duplicates and
-- .search say how they are used).
--
-- name_keys: for each person, with her birth date, every pair of distinct words
-- of her folded name (persons.search_name), the two in alphabetical order joined
-- by one space ('jose rojas'), or the word itself when the name has only one
-- distinct word; and her whole name, '=' and all its words sorted
-- ('=jose maria rojas'). The view person_name_keys is the one definition of a
-- person's keys: the triggers and the backfill below read it, and
-- caremgmt.registry.keys.name_keys is its twin in Python (a test holds them
-- equal). Triggers keep the table in step with every insert, rename,
-- birth-date correction and delete, whatever code makes it.
--
-- name_terms (0002) is fed by the same triggers now, so it holds every word of
-- every name however the person was written. name_term_variants lists each
-- term with itself and, for terms of three letters or more, with each of its
-- one-letter deletions; name_term_deletions stores that list, so the words
-- within one edit of a word (a wrong, missing, extra or swapped letter) are
-- found by index look-ups of the word and its own deletions instead of a scan
-- of every term (symmetric deletion).
--
-- json_each splits a name: json_quote makes it a JSON string whatever it holds,
-- and each space becomes '","'. The positions of a term's letters come from a
-- JSON array of length(term) zeros (hex(zeroblob(n)) is n times '00'): a
-- trigger may not use WITH.

CREATE TABLE name_keys (
    name_key TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (name_key, birth_date, person_id)
) WITHOUT ROWID;

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

CREATE TRIGGER name_terms_deletions_insert AFTER INSERT ON name_terms BEGIN
    INSERT OR IGNORE INTO name_term_deletions (variant, term)
        SELECT variant, term FROM name_term_variants WHERE term = new.term;
END;

CREATE TRIGGER persons_name_keys_insert AFTER INSERT ON persons BEGIN
    INSERT OR IGNORE INTO name_keys (name_key, birth_date, person_id)
        SELECT name_key, birth_date, person_id FROM person_name_keys WHERE person_id = new.id;
    INSERT OR IGNORE INTO name_terms (term)
        SELECT value FROM json_each('[' || replace(json_quote(new.search_name), ' ', '","') || ']') WHERE value <> '';
END;

CREATE TRIGGER persons_name_keys_before_update BEFORE UPDATE OF search_name, birth_date ON persons BEGIN
    DELETE FROM name_keys WHERE person_id = old.id AND birth_date = old.birth_date
        AND name_key IN (SELECT name_key FROM person_name_keys WHERE person_id = old.id);
END;

CREATE TRIGGER persons_name_keys_update AFTER UPDATE OF search_name, birth_date ON persons BEGIN
    INSERT OR IGNORE INTO name_keys (name_key, birth_date, person_id)
        SELECT name_key, birth_date, person_id FROM person_name_keys WHERE person_id = new.id;
    INSERT OR IGNORE INTO name_terms (term)
        SELECT value FROM json_each('[' || replace(json_quote(new.search_name), ' ', '","') || ']') WHERE value <> '';
END;

CREATE TRIGGER persons_name_keys_delete BEFORE DELETE ON persons BEGIN
    DELETE FROM name_keys WHERE person_id = old.id AND birth_date = old.birth_date
        AND name_key IN (SELECT name_key FROM person_name_keys WHERE person_id = old.id);
END;

-- Backfill, set-wise: the words of names written before this migration (some
-- writers never added theirs to name_terms), every term's deletions, every
-- person's keys (sorted first, so the index is written in order).
INSERT OR IGNORE INTO name_term_deletions (variant, term) SELECT variant, term FROM name_term_variants;
INSERT OR IGNORE INTO name_terms (term)
    SELECT DISTINCT j.value FROM persons p, json_each('[' || replace(json_quote(p.search_name), ' ', '","') || ']') j
    WHERE j.value <> '';
INSERT OR IGNORE INTO name_keys (name_key, birth_date, person_id)
    SELECT name_key, birth_date, person_id FROM person_name_keys ORDER BY name_key, birth_date, person_id;
