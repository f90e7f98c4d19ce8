-- Local actors (node, groups, clusters, confederations, members, the instance actor)
-- share one name space. Private keys never leave this table except to sign.
CREATE TABLE local_actors (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_-]{1,64}$'),
    kind text NOT NULL CHECK (kind IN ('instance', 'node', 'group', 'cluster', 'confederation', 'member')),
    display_name text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    manually_approves_followers boolean NOT NULL DEFAULT false,
    discoverable boolean NOT NULL DEFAULT true,
    icon_url text,
    private_key_pem text NOT NULL,
    public_key_pem text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX local_actors_one_instance ON local_actors (kind) WHERE kind = 'instance';

-- Remote actors we have fetched, and their keys (several per actor are possible).
CREATE TABLE remote_actors (
    uri text PRIMARY KEY,
    host text NOT NULL,
    type text NOT NULL,
    preferred_username text,
    inbox text NOT NULL,
    shared_inbox text,
    document jsonb NOT NULL,
    fetched_at timestamptz NOT NULL
);
CREATE INDEX remote_actors_host ON remote_actors (host);

CREATE TABLE remote_keys (
    key_id text PRIMARY KEY,
    owner text NOT NULL REFERENCES remote_actors (uri) ON DELETE CASCADE,
    public_key_pem text NOT NULL,
    fetched_at timestamptz NOT NULL
);
CREATE INDEX remote_keys_owner ON remote_keys (owner);
