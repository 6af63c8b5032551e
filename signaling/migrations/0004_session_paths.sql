-- The path each side's connection chose (`direct/udp`, `relay/tcp`, ...),
-- as each app reports it once its connection is up.
ALTER TABLE sessions ADD COLUMN expert_path TEXT;
ALTER TABLE sessions ADD COLUMN client_path TEXT;
