-- Movement objects: the authoring fields (validated by schemas/) beside the AS2 body.
ALTER TABLE objects ADD COLUMN kind text;
ALTER TABLE objects ADD COLUMN fields jsonb;
ALTER TABLE objects ADD COLUMN clusters text[] NOT NULL DEFAULT '{}';
ALTER TABLE objects ADD COLUMN updated_at timestamptz;
CREATE INDEX objects_kind ON objects (kind, published_at DESC) WHERE kind IS NOT NULL;

-- Received movement objects from other nodes keep their validated fields too.
ALTER TABLE remote_objects ADD COLUMN kind text;
ALTER TABLE remote_objects ADD COLUMN fields jsonb;
ALTER TABLE remote_objects ADD COLUMN clusters text[] NOT NULL DEFAULT '{}';
ALTER TABLE remote_objects ADD COLUMN public boolean NOT NULL DEFAULT false;
CREATE INDEX remote_objects_kind ON remote_objects (kind, received_at DESC) WHERE kind IS NOT NULL;

-- Authoring API tokens: only a SHA-256 of the token is kept; it is shown once.
CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    label text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);

-- Poll votes on local Questions: one row per (question, voter); the voter list is never served.
CREATE TABLE poll_votes (
    question_id text NOT NULL,
    voter text NOT NULL,
    choices text[] NOT NULL,
    activity_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (question_id, voter)
);
