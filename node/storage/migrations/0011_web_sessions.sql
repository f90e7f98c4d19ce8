-- Signed-in sessions of the publishing UI: only a SHA-256 of the cookie's secret is kept,
-- with the session's CSRF token; a session ends at expires_at or on sign-out.
CREATE TABLE web_sessions (
    secret_hash bytea PRIMARY KEY,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
