-- Roles: an admin reads every expert's sessions and the audit log; an
-- expert only their own sessions. Existing accounts become experts; make
-- an admin with `lifeline-signaling expert role <user> admin`.
ALTER TABLE experts ADD COLUMN role TEXT NOT NULL DEFAULT 'expert';

-- The display name folded for comparison (whitespace collapsed, lower
-- case), set by the server: no two experts show the same name in the
-- consent dialog. Accounts from before this column have none; `expert add`
-- compares against their names too.
ALTER TABLE experts ADD COLUMN display_key TEXT;
CREATE UNIQUE INDEX experts_by_display_key ON experts (display_key);

-- An expert's own Session Usage Report.
CREATE INDEX sessions_by_expert ON sessions (expert, requested_at);
