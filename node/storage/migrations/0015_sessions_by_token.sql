-- A publishing-UI session belongs to the token it was opened with: revoking the token ends
-- it at once. Sessions opened before this (their token unknown) end now; sign in again.
DELETE FROM web_sessions;
ALTER TABLE web_sessions ADD COLUMN token_id bigint NOT NULL
    REFERENCES api_tokens (id) ON DELETE CASCADE;
CREATE INDEX web_sessions_by_token ON web_sessions (token_id);
