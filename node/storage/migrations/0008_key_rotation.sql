-- Key rotation: each local actor signs with key number key_serial (1 = '#main-key', n = '#key-n');
-- a rotated-out key stays verifiable until valid_until (in-flight requests), then is only history.
ALTER TABLE local_actors ADD COLUMN key_serial integer NOT NULL DEFAULT 1;
CREATE TABLE retired_keys (
    key_id text PRIMARY KEY,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    public_key_pem text NOT NULL,
    retired_at timestamptz NOT NULL,
    valid_until timestamptz NOT NULL
);
CREATE INDEX retired_keys_actor ON retired_keys (local_actor_id, valid_until);
