-- Single sign-on (caremgmt.core.single_sign_on). The e-mail of an OpenID Connect
-- identity maps to the account that holds it: at most one account per e-mail, kept in
-- lower case and compared ignoring case. An account's password login can be turned
-- off: she then enters only through single sign-on.
ALTER TABLE users ADD COLUMN email TEXT COLLATE NOCASE;
ALTER TABLE users ADD COLUMN password_login INTEGER NOT NULL DEFAULT 1 CHECK (password_login IN (0, 1));
CREATE UNIQUE INDEX users_email ON users(email) WHERE email IS NOT NULL;
-- The rule by name (caremgmt.core.db.violated), before the index's own wording.
CREATE TRIGGER users_email_insert BEFORE INSERT ON users
WHEN new.email IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email = new.email) BEGIN
    SELECT RAISE(ABORT, 'users_email: another account has this e-mail');
END;
CREATE TRIGGER users_email_update BEFORE UPDATE OF email ON users
WHEN new.email IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email = new.email AND id <> new.id) BEGIN
    SELECT RAISE(ABORT, 'users_email: another account has this e-mail');
END;
