-- The recordings the expert saved of a session, by file name (in the
-- expert's session records), space-separated, in order.
ALTER TABLE sessions ADD COLUMN recordings TEXT;
