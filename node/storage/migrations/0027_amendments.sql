-- Amendments proposed to visions: the signed Note kept whole; `state` is what the vision's
-- author decided. Kept for our own visions (from anyone) and for what our actors proposed.
CREATE TABLE amendments (
    id text PRIMARY KEY,                 -- the amendment Note's id
    object_id text NOT NULL,             -- the vision
    proposer text NOT NULL,              -- the proposing actor's URL
    author text NOT NULL,                -- the vision's author (who decides)
    changes jsonb NOT NULL,
    statement text NOT NULL DEFAULT '',
    document jsonb NOT NULL,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'declined')),
    decided_at timestamptz,
    local_actor_id bigint REFERENCES local_actors (id) ON DELETE CASCADE,  -- ours, if ours
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX amendments_object ON amendments (object_id, created_at);
