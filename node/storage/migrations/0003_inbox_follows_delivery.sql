-- Inbox: every accepted activity is stored here before we answer 202, then processed.
CREATE TABLE inbox (
    id bigserial PRIMARY KEY,
    activity_id text UNIQUE,                -- NULL for id-less activities (processed as received)
    actor text NOT NULL,
    type text NOT NULL,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    error text
);
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;

-- Remote actors following local actors.
CREATE TABLE followers (
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    follower text NOT NULL,
    follow_id text,
    state text NOT NULL CHECK (state IN ('pending', 'accepted')),
    inbox text NOT NULL,
    shared_inbox text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (local_actor_id, follower)
);
CREATE INDEX followers_follower ON followers (follower);

-- Local actors following remote actors.
CREATE TABLE following (
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    target text NOT NULL,
    follow_id text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (local_actor_id, target)
);

-- What local actors published (activities), newest last.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    activity_id text NOT NULL UNIQUE,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    type text NOT NULL,
    object_id text,
    public boolean NOT NULL,
    body jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_actor ON outbox (local_actor_id, id);

-- Local objects by id (served at their URL).
CREATE TABLE objects (
    id text PRIMARY KEY,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    type text NOT NULL,
    body jsonb NOT NULL,
    public boolean NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);

-- The delivery queue: one row per (activity, inbox); claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    activity_id text NOT NULL,
    inbox text NOT NULL,
    host text NOT NULL,
    signer text NOT NULL,                   -- local actor name whose key signs
    body jsonb NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    last_status integer,
    last_error text,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at);

CREATE TABLE dead_deliveries (
    id bigint PRIMARY KEY,
    activity_id text NOT NULL,
    inbox text NOT NULL,
    host text NOT NULL,
    signer text NOT NULL,
    body jsonb NOT NULL,
    attempts integer NOT NULL,
    created_at timestamptz NOT NULL,
    died_at timestamptz NOT NULL DEFAULT now(),
    reason text NOT NULL
);

CREATE TABLE host_breakers (
    host text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0,
    open_until timestamptz
);

CREATE TABLE domain_blocks (
    host text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE domain_allows (
    host text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
