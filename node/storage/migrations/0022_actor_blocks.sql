-- A group's block of one remote actor: its follows refused, its replies hidden, its
-- reactions, votes and pledges not counted.
CREATE TABLE actor_blocks (
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (local_actor_id, actor)
);
CREATE INDEX actor_blocks_actor ON actor_blocks (actor);
