-- Facts about this node's database: when it was created, by which version.
CREATE TABLE node_meta (
    key text PRIMARY KEY,
    value text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO node_meta (key, value) VALUES ('created_at', now()::text);
