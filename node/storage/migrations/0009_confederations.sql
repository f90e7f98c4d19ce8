-- FEP-8b32 object proofs: every local actor gets an Ed25519 key (private PEM, public Multikey).
ALTER TABLE local_actors ADD COLUMN proof_key_pem text;
ALTER TABLE local_actors ADD COLUMN proof_public text;

-- Confederations this node takes part in, or has asked to join (replica_actor_id NULL until
-- it is admitted). `id` is the stable confederation id: its charter's id.
CREATE TABLE confederations (
    id text PRIMARY KEY,
    charter jsonb NOT NULL,                 -- the founding charter, with its proof
    member_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    replica_actor_id bigint UNIQUE REFERENCES local_actors (id) ON DELETE SET NULL,
    sources text[] NOT NULL DEFAULT '{}',   -- replica URLs to catch up from
    created_at timestamptz NOT NULL DEFAULT now(),
    synced_at timestamptz
);

-- Every signed record of a confederation (Invite/Remove proposals, Accept/Reject votes,
-- Leave), as received; membership is a pure fold over them in (published, id) order.
CREATE TABLE confederation_records (
    id text PRIMARY KEY,
    confederation text NOT NULL REFERENCES confederations (id) ON DELETE CASCADE,
    type text NOT NULL,
    actor text NOT NULL,
    published timestamptz NOT NULL,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX confederation_records_order ON confederation_records (confederation, published, id);

-- The member list the fold gave last (served as `members`; drives the mesh and relaying).
CREATE TABLE confederation_members (
    confederation text NOT NULL REFERENCES confederations (id) ON DELETE CASCADE,
    member text NOT NULL,
    PRIMARY KEY (confederation, member)
);
CREATE INDEX confederation_members_member ON confederation_members (member);

-- What each replica announced: once per object, whatever path it arrived by.
CREATE TABLE confederation_announced (
    replica_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    object_id text NOT NULL,
    announced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (replica_actor_id, object_id)
);
