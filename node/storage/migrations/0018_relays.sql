-- Relays the instance actor subscribes to (LitePub relays follow its actor; Mastodon-style
-- relays are followed at their inbox with the Public collection as the object).
CREATE TABLE relays (
    id bigserial PRIMARY KEY,
    url text NOT NULL UNIQUE,            -- as the operator gave it
    inbox text NOT NULL,                 -- where our Follow and our public activities go
    actor text,                          -- the relay's actor, once known (its Accept says)
    follow_id text NOT NULL UNIQUE,
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    settled_at timestamptz
);
CREATE UNIQUE INDEX relays_actor ON relays (actor) WHERE actor IS NOT NULL;

-- Which relay brought an object (NULL: its author or a followed or member actor did).
ALTER TABLE remote_objects ADD COLUMN via_relay text;
