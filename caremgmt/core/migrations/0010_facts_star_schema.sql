-- Impact facts as a star schema (issue #12).
--
-- A day's facts now hold only what its attendances and sessions determine
-- (person, session's block and service, the person's attributes on the day,
-- the session's length, the units recorded, whether a person she cares for
-- attended care beside her). What an admin edits (a service's category, kind
-- and care-hours rule, a block's locality) is looked up when the figures are
-- read (caremgmt.impact.contact_facts), so editing a service or a block marks
-- nothing stale: the services and blocks triggers go.
--
-- stale: 0 = fresh, 1 = stale, any other value = claimed by a rebuild (its
-- token). A rebuild claims days in one short transaction, computes them in a
-- read snapshot without holding the write lock, and stores them only where its
-- token is still there: a write in between sets stale back to 1, so the marks
-- below change every value but 1 (they used to change only 0). The old blobs
-- have the old layout, so every day starts stale.
--
-- The facts also carry each person's registration day and home block and
-- locality, for retention; so a change of those marks her days stale too.
--
-- registrations_by_day counts persons by Bogotá registration day (UTC-5, no
-- DST: caremgmt.core.clock), home block and locality, kept by triggers in the
-- writer's transaction, so every registration figure is one small grouped query.
-- A stamp that is not a date is kept as it is (it sorts after every day, as before).
--
-- data_version counts the commits that can change a figure: the impact cache
-- is keyed on it, not on a clock.

DROP TRIGGER services_facts_update;
DROP TRIGGER blocks_facts_update;
DROP TRIGGER attendance_facts_insert;
DROP TRIGGER attendance_facts_delete;
DROP TRIGGER attendance_facts_update;
DROP TRIGGER participants_facts_insert;
DROP TRIGGER participants_facts_delete;
DROP TRIGGER participants_facts_update;
DROP TRIGGER sessions_facts_insert;
DROP TRIGGER sessions_facts_update;
DROP TRIGGER persons_facts_update;
DROP TRIGGER care_links_facts_insert;
DROP TRIGGER care_links_facts_delete;
DROP TABLE contact_days;
CREATE TABLE contact_days (
    day TEXT PRIMARY KEY,
    facts BLOB,
    sessions BLOB,
    stale INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX contact_days_stale ON contact_days(stale, day);
INSERT INTO contact_days (day) SELECT DISTINCT substr(starts_at, 1, 10) FROM sessions WHERE true;

CREATE TRIGGER attendance_facts_insert AFTER INSERT ON attendance BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER attendance_facts_delete AFTER DELETE ON attendance BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER attendance_facts_update AFTER UPDATE ON attendance WHEN old.status IS NOT new.status OR old.quantity IS NOT new.quantity OR old.session_id IS NOT new.session_id OR old.person_id IS NOT new.person_id BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER participants_facts_insert AFTER INSERT ON participants BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER participants_facts_delete AFTER DELETE ON participants BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER participants_facts_update AFTER UPDATE ON participants WHEN old.status IS NOT new.status OR old.load_status IS NOT new.load_status OR old.session_id IS NOT new.session_id BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER sessions_facts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO contact_days (day) VALUES (substr(new.starts_at, 1, 10)) ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER sessions_facts_update AFTER UPDATE ON sessions
WHEN old.starts_at IS NOT new.starts_at OR old.ends_at IS NOT new.ends_at OR old.block_code IS NOT new.block_code OR old.service_id IS NOT new.service_id OR old.status IS NOT new.status OR old.capacity IS NOT new.capacity OR old.booked_count IS NOT new.booked_count BEGIN
    INSERT INTO contact_days (day) VALUES (substr(old.starts_at, 1, 10)), (substr(new.starts_at, 1, 10))
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER persons_facts_update AFTER UPDATE ON persons
WHEN old.created_at IS NOT new.created_at OR old.home_block IS NOT new.home_block OR old.locality_code IS NOT new.locality_code OR old.birth_date IS NOT new.birth_date OR old.stratum IS NOT new.stratum OR old.ethnicity IS NOT new.ethnicity OR old.disability IS NOT new.disability OR old.migrant_status IS NOT new.migrant_status OR old.is_caregiver IS NOT new.is_caregiver BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = new.id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER care_links_facts_insert AFTER INSERT ON care_links BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = new.caregiver_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;
CREATE TRIGGER care_links_facts_delete AFTER DELETE ON care_links BEGIN
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = old.caregiver_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1;
END;

CREATE TABLE data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);
CREATE TRIGGER attendance_version_insert AFTER INSERT ON attendance BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER attendance_version_update AFTER UPDATE ON attendance BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER attendance_version_delete AFTER DELETE ON attendance BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER blocks_version_insert AFTER INSERT ON blocks BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER blocks_version_update AFTER UPDATE ON blocks BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER blocks_version_delete AFTER DELETE ON blocks BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER care_links_version_insert AFTER INSERT ON care_links BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER care_links_version_update AFTER UPDATE ON care_links BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER care_links_version_delete AFTER DELETE ON care_links BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER outcomes_version_insert AFTER INSERT ON outcomes BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER outcomes_version_update AFTER UPDATE ON outcomes BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER outcomes_version_delete AFTER DELETE ON outcomes BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER participants_version_insert AFTER INSERT ON participants BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER participants_version_delete AFTER DELETE ON participants BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER persons_version_insert AFTER INSERT ON persons BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER persons_version_update AFTER UPDATE ON persons BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER persons_version_delete AFTER DELETE ON persons BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER services_version_insert AFTER INSERT ON services BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER services_version_update AFTER UPDATE ON services BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER services_version_delete AFTER DELETE ON services BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER sessions_version_insert AFTER INSERT ON sessions BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER sessions_version_update AFTER UPDATE ON sessions BEGIN UPDATE data_version SET version = version + 1; END;
CREATE TRIGGER sessions_version_delete AFTER DELETE ON sessions BEGIN UPDATE data_version SET version = version + 1; END;

CREATE TABLE registrations_by_day (
    day TEXT NOT NULL,
    home_block TEXT NOT NULL,
    locality_code INTEGER NOT NULL,
    persons INTEGER NOT NULL,
    PRIMARY KEY (day, home_block, locality_code)
) WITHOUT ROWID;
INSERT INTO registrations_by_day (day, home_block, locality_code, persons)
SELECT coalesce(date(created_at, '-5 hours'), created_at), coalesce(home_block, ''), coalesce(locality_code, 0), count(*) FROM persons GROUP BY 1, 2, 3;
CREATE TRIGGER persons_registrations_insert AFTER INSERT ON persons BEGIN
    INSERT INTO registrations_by_day (day, home_block, locality_code, persons)
    VALUES (coalesce(date(new.created_at, '-5 hours'), new.created_at), coalesce(new.home_block, ''), coalesce(new.locality_code, 0), 1)
    ON CONFLICT DO UPDATE SET persons = persons + 1;
END;
CREATE TRIGGER persons_registrations_delete AFTER DELETE ON persons BEGIN
    UPDATE registrations_by_day SET persons = persons - 1
    WHERE day = coalesce(date(old.created_at, '-5 hours'), old.created_at) AND home_block = coalesce(old.home_block, '') AND locality_code = coalesce(old.locality_code, 0);
END;
CREATE TRIGGER persons_registrations_update AFTER UPDATE ON persons
WHEN old.created_at IS NOT new.created_at OR old.home_block IS NOT new.home_block OR old.locality_code IS NOT new.locality_code BEGIN
    UPDATE registrations_by_day SET persons = persons - 1
    WHERE day = coalesce(date(old.created_at, '-5 hours'), old.created_at) AND home_block = coalesce(old.home_block, '') AND locality_code = coalesce(old.locality_code, 0);
    INSERT INTO registrations_by_day (day, home_block, locality_code, persons)
    VALUES (coalesce(date(new.created_at, '-5 hours'), new.created_at), coalesce(new.home_block, ''), coalesce(new.locality_code, 0), 1)
    ON CONFLICT DO UPDATE SET persons = persons + 1;
END;
