-- A confederation replica's followable cluster actors (`cascadia-housing@node`): each
-- announces the relayed objects of one cluster.
ALTER TABLE local_actors DROP CONSTRAINT local_actors_kind_check;
ALTER TABLE local_actors ADD CONSTRAINT local_actors_kind_check CHECK (
    kind IN ('instance', 'node', 'group', 'cluster', 'confederation', 'confederation_cluster', 'member')
);

CREATE TABLE confederation_clusters (
    confederation text NOT NULL REFERENCES confederations (id) ON DELETE CASCADE,
    cluster text NOT NULL,
    actor_id bigint NOT NULL UNIQUE REFERENCES local_actors (id) ON DELETE CASCADE,
    PRIMARY KEY (confederation, cluster)
);
