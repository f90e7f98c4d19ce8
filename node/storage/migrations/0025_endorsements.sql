-- Endorsements of visions and calls to action: a signed Note (FEP-8b32 proof) by the
-- endorsing actor, kept whole so anyone can check it again. A Group's is a signature;
-- anyone else's is support. Kept for our own objects (from anyone) and for what our own
-- actors endorsed (of any node's objects); withdrawn = deleted.
CREATE TABLE endorsements (
    id text PRIMARY KEY,                 -- the endorsement Note's id
    object_id text NOT NULL,             -- what it endorses
    endorser text NOT NULL,              -- the endorsing actor's URL
    signature boolean NOT NULL,          -- a Group's (a signature), or support
    statement text NOT NULL DEFAULT '',
    document jsonb NOT NULL,             -- the signed Note, proof included
    local_actor_id bigint REFERENCES local_actors (id) ON DELETE CASCADE,  -- ours, if ours
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (object_id, endorser)
);
CREATE INDEX endorsements_object ON endorsements (object_id, created_at);
