-- What captured the client's screen (`x11`, `wayland`), as its app
-- reports it when the share starts.
ALTER TABLE sessions ADD COLUMN client_screen TEXT;
