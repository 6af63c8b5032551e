-- Portable between SQLite and PostgreSQL: TEXT keys, BIGINT Unix milliseconds.

CREATE TABLE experts (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Login tokens, stored only as SHA-256 hashes.
CREATE TABLE tokens (
    token_hash   TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);
CREATE INDEX tokens_by_username ON tokens (username);

-- The Session Usage Report: one row per connect request.
CREATE TABLE sessions (
    session_id       TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL,
    description      TEXT NOT NULL,
    computer_name    TEXT NOT NULL,
    computer_os      TEXT NOT NULL,
    computer_user    TEXT NOT NULL,
    expert           TEXT NOT NULL,
    notes            TEXT NOT NULL,
    scopes_requested TEXT NOT NULL,
    scopes_granted   TEXT,
    requested_at     BIGINT NOT NULL,
    answered_at      BIGINT,
    started_at       BIGINT,
    ended_at         BIGINT,
    outcome          TEXT,
    end_reason       TEXT
);
CREATE INDEX sessions_by_requested_at ON sessions (requested_at);
