-- Every change that can alter a day's impact facts marks that day (the
-- session's local date) stale, in the writer's own transaction; readers rebuild
-- stale days before they read (caremgmt.impact.contact_facts). "WHERE stale = 0"
-- keeps a busy day from being rewritten on every roster row.
--
-- Frozen: this is the literal SQL that the Python helpers of the former
-- caremgmt/core/migrations.py produced (_MARK_DAYS, _PERSON_DAYS, _changed,
-- _session_row_triggers), byte for byte, blank-but-indented lines included:
-- SQLite keeps trigger bodies as written, and databases already migrated hold
-- exactly this text.

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


CREATE TRIGGER attendance_facts_insert AFTER INSERT ON attendance BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER attendance_facts_delete AFTER DELETE ON attendance BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER attendance_facts_update AFTER UPDATE ON attendance WHEN old.status IS NOT new.status OR old.quantity IS NOT new.quantity OR old.session_id IS NOT new.session_id OR old.person_id IS NOT new.person_id BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;

CREATE TRIGGER participants_facts_insert AFTER INSERT ON participants BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER participants_facts_delete AFTER DELETE ON participants BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER participants_facts_update AFTER UPDATE ON participants WHEN old.status IS NOT new.status OR old.load_status IS NOT new.load_status OR old.session_id IS NOT new.session_id BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = old.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.id = new.session_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER sessions_facts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO contact_days (day) VALUES (substr(new.starts_at, 1, 10)) ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER sessions_facts_update AFTER UPDATE ON sessions
WHEN old.starts_at IS NOT new.starts_at OR old.ends_at IS NOT new.ends_at OR old.block_code IS NOT new.block_code OR old.service_id IS NOT new.service_id OR old.status IS NOT new.status OR old.capacity IS NOT new.capacity OR old.booked_count IS NOT new.booked_count BEGIN
    INSERT INTO contact_days (day) VALUES (substr(old.starts_at, 1, 10)), (substr(new.starts_at, 1, 10))
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER persons_facts_update AFTER UPDATE ON persons
WHEN old.birth_date IS NOT new.birth_date OR old.stratum IS NOT new.stratum OR old.ethnicity IS NOT new.ethnicity OR old.disability IS NOT new.disability OR old.migrant_status IS NOT new.migrant_status OR old.is_caregiver IS NOT new.is_caregiver BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = new.id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER care_links_facts_insert AFTER INSERT ON care_links BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = new.caregiver_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER care_links_facts_delete AFTER DELETE ON care_links BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id WHERE a.person_id = old.caregiver_id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER services_facts_update AFTER UPDATE ON services
WHEN old.category IS NOT new.category OR old.care_hours_rule IS NOT new.care_hours_rule OR old.hours_per_unit IS NOT new.hours_per_unit OR old.audience IS NOT new.audience OR old.kind IS NOT new.kind BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.service_id = new.id
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER blocks_facts_update AFTER UPDATE ON blocks WHEN old.locality_code IS NOT new.locality_code BEGIN
    
    INSERT INTO contact_days (day) SELECT DISTINCT substr(s.starts_at, 1, 10) FROM sessions s WHERE s.block_code = new.code
    ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale = 0;
END;
