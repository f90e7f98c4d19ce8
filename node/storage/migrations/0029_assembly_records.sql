-- The node's assembly (its groups, one vote each): its signed records (proposals to adopt a
-- vision version, and votes), each with an FEP-8b32 proof by the group that wrote it.
CREATE TABLE assembly_records (
    id text PRIMARY KEY,
    actor text NOT NULL,
    record jsonb NOT NULL,
    published_at timestamptz NOT NULL
);
CREATE INDEX assembly_records_order ON assembly_records (published_at, id);
