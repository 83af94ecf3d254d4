-- The probable-duplicate check compares everyone born in a two-month
-- window; with the folded name and phone in the index it never reads the
-- table itself (a few thousand people at city scale).

CREATE INDEX persons_birth_name ON persons(birth_date, search_name, phone);
DROP INDEX persons_birth_date;
