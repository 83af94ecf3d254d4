-- A person who withdrew her registration consent (Ley 1581: she no longer
-- authorises the processing of her data) takes no new booking, care place,
-- laundry load or enrolment, whichever code path tries: the service layer
-- says so in words (caremgmt.registry.consents), these triggers make sure.
-- Withdrawn = a registration consent withdrawn and none active since: the view
-- says it once, for the triggers and the code alike. Asked with EXISTS and the
-- person's id (no aggregate in it), SQLite reads it through that person's
-- consents by index, not the whole table, on every booking.
CREATE VIEW registration_withdrawn AS
SELECT w.person_id, w.withdrawn_at FROM consents w
WHERE w.purpose = 'registration' AND w.withdrawn_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM consents a WHERE a.person_id = w.person_id AND a.purpose = 'registration'
                  AND a.withdrawn_at IS NULL);

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

CREATE TRIGGER enrolments_registration_withdrawn BEFORE INSERT ON enrolments
WHEN EXISTS (SELECT 1 FROM registration_withdrawn r WHERE r.person_id = new.person_id)
BEGIN
    SELECT RAISE(ABORT, 'registration_withdrawn: no new enrolment');
END;
