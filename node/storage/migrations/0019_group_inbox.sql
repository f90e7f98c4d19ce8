-- What comes back to a local actor: replies to its objects, mentions of it, direct messages
-- and reports (Flag). Replies, mentions and messages point at remote_objects by remote_id;
-- a report keeps its Flag in body.
CREATE TABLE group_inbox (
    id bigserial PRIMARY KEY,
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('reply', 'mention', 'direct', 'report')),
    remote_id text NOT NULL,
    actor text NOT NULL,
    about text,                              -- our object it answers or reports
    body jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    UNIQUE (local_actor_id, remote_id)
);
CREATE INDEX group_inbox_listing
    ON group_inbox (local_actor_id, (read_at IS NOT NULL), received_at DESC, id DESC);

-- An organiser hid this reply: not on the object's page, not in its replies collection.
ALTER TABLE remote_objects ADD COLUMN hidden_at timestamptz;
