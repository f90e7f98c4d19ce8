-- Remote objects that concern us: replies to local objects and posts mentioning local actors.
-- A Delete leaves a Tombstone (deleted_at set, body replaced); ids are never reused.
CREATE TABLE remote_objects (
    id text PRIMARY KEY,
    actor text NOT NULL,
    type text NOT NULL,
    in_reply_to text,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz,
    deleted_at timestamptz
);
CREATE INDEX remote_objects_in_reply_to ON remote_objects (in_reply_to);
CREATE INDEX remote_objects_actor ON remote_objects (actor);

-- Likes and Announces of local objects, once per actor.
CREATE TABLE reactions (
    object_id text NOT NULL,
    actor text NOT NULL,
    type text NOT NULL CHECK (type IN ('Like', 'Announce')),
    activity_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (object_id, actor, type)
);
