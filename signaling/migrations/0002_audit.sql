-- The audit log: every sign-in attempt, connect attempt, consent outcome
-- and permission change, with when and from which address. Append-only.
CREATE TABLE audit (
    at         BIGINT NOT NULL,
    event      TEXT NOT NULL,
    actor      TEXT NOT NULL,
    ip         TEXT NOT NULL,
    session_id TEXT,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_by_at ON audit (at);
