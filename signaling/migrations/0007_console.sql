-- The desk's web console: account standing, two-factor sign-in, desk
-- policy and the reason given for each session.

-- An admin can disable an account (it cannot sign in; its sign-ins are
-- revoked) and reset a password (the next sign-in must change it). 0 or 1.
ALTER TABLE experts ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE experts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- TOTP (RFC 6238): the enrolled secret (base32), the one being enrolled
-- until its first code is confirmed, and the last time step accepted, so
-- a code signs in once.
ALTER TABLE experts ADD COLUMN totp_secret TEXT;
ALTER TABLE experts ADD COLUMN totp_pending TEXT;
ALTER TABLE experts ADD COLUMN totp_last_step BIGINT;

-- One-time recovery codes, stored only as SHA-256 hashes.
CREATE TABLE recovery_codes (
    username  TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (username, code_hash)
);

-- Desk policy as set in the console, one row per setting; a setting with
-- no row takes the configuration file's value.
CREATE TABLE desk_policy (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The reason or ticket number the expert gave with the ID.
ALTER TABLE sessions ADD COLUMN reason TEXT;
-- Permissions the client granted, then withdrew during the session.
ALTER TABLE sessions ADD COLUMN scopes_withdrawn TEXT;

-- The console's audit view filters by actor.
CREATE INDEX audit_by_actor ON audit (actor, at);
