-- service -> schedule -> session -> participant -> attendance (delivery).
-- Capacity is a CHECK on sessions.booked_count, kept by triggers, so no
-- writer can overbook whatever it checked before; overlapping bookings
-- of one person are refused by a trigger too.

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
