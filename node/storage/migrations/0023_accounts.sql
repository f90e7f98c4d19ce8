-- The people who run groups and the node: personal accounts (never actors, never federated),
-- their sign-in methods, their roles per group, invitations, and the audit trail.
CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    operator boolean NOT NULL DEFAULT false,
    -- WebAuthn user.id: random, so a passkey names no account in clear
    user_handle bytea NOT NULL UNIQUE,
    password_hash text,              -- argon2id (argon2-cffi's encoded form)
    totp_secret text,                -- base32; with the password, the second factor
    totp_last_step bigint,           -- the last TOTP time step accepted (no replay)
    failed_signins int NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
CREATE UNIQUE INDEX accounts_name ON accounts (lower(name));

CREATE TABLE passkeys (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL UNIQUE,
    public_key bytea NOT NULL,       -- COSE
    sign_count bigint NOT NULL DEFAULT 0,
    label text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX passkeys_account ON passkeys (account_id);

-- Recovery codes: shown once, kept as SHA-256, each good once.
CREATE TABLE recovery_codes (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE group_roles (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, local_actor_id)
);
CREATE INDEX group_roles_group ON group_roles (local_actor_id);

-- One-time invitation links: only the SHA-256 of the link's secret is kept.
CREATE TABLE invitations (
    id bigserial PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    name text,                       -- the account's name when the inviter chose it
    local_actor_id bigint REFERENCES local_actors (id) ON DELETE CASCADE,
    role text CHECK (role IN ('admin', 'editor', 'viewer')),
    operator boolean NOT NULL DEFAULT false,
    -- a group token's claim: the group's shared tokens end when the account is made
    claims_group boolean NOT NULL DEFAULT false,
    invited_by bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    CHECK ((local_actor_id IS NULL) = (role IS NULL))
);

-- WebAuthn challenges: single use, short-lived, kept as SHA-256.
CREATE TABLE webauthn_challenges (
    challenge_hash bytea PRIMARY KEY,
    purpose text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
    account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
    user_handle bytea,               -- a registration's user.id, for an account to come
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- Tokens and sessions belong to an account (a group's shared tokens, account_id NULL,
-- keep working until the group is claimed). A session of an account acts for one of its
-- groups at a time (or none: an operator without a group).
ALTER TABLE api_tokens ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD COLUMN scope text NOT NULL DEFAULT 'write'
    CHECK (scope IN ('read', 'write', 'admin'));
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
CREATE INDEX api_tokens_account ON api_tokens (account_id) WHERE account_id IS NOT NULL;
ALTER TABLE web_sessions ALTER COLUMN token_id DROP NOT NULL;
ALTER TABLE web_sessions ALTER COLUMN local_actor_id DROP NOT NULL;
ALTER TABLE web_sessions ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE web_sessions ADD COLUMN last_seen_at timestamptz;
ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_owner
    CHECK (token_id IS NOT NULL OR account_id IS NOT NULL);
CREATE INDEX web_sessions_account ON web_sessions (account_id) WHERE account_id IS NOT NULL;

-- A group's two-person rule: these actions wait for a second admin.
CREATE TABLE two_person_rules (
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    action text NOT NULL CHECK (action IN ('delete', 'remove_admin',
                                           'leave_confederation', 'confederation_vote')),
    PRIMARY KEY (local_actor_id, action)
);
CREATE TABLE pending_actions (
    id bigserial PRIMARY KEY,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    action text NOT NULL,
    payload jsonb NOT NULL,
    summary text NOT NULL,
    requested_by bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    decided_by bigint REFERENCES accounts (id) ON DELETE SET NULL,
    decided_at timestamptz,
    decision text CHECK (decision IN ('approved', 'refused'))
);
CREATE INDEX pending_actions_open ON pending_actions (local_actor_id) WHERE decided_at IS NULL;

-- The audit trail: who (an account, a group's shared token, or the operator's shell) did
-- what, when. Names are copied, so the trail outlives what it names. Never a client
-- address. Append-only: the triggers refuse UPDATE, DELETE and TRUNCATE to every role the
-- application connects as.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    account_id bigint,
    account_name text,
    via text NOT NULL CHECK (via IN ('session', 'token', 'group_token', 'cli', 'system')),
    token_id bigint,
    local_actor_id bigint,
    group_name text,
    action text NOT NULL,
    target text,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_group ON audit_log (local_actor_id, id DESC);
CREATE INDEX audit_log_account ON audit_log (account_id, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
