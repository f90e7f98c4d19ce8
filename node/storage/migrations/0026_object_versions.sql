-- Earlier versions of a vision: each edit keeps the version it replaces, readable at
-- OBJECT/versions/N (the current one is the object itself, version count + 1).
CREATE TABLE object_versions (
    object_id text NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    fields jsonb NOT NULL,
    body jsonb NOT NULL,
    made_at timestamptz NOT NULL,  -- when this version was published (or last edited)
    PRIMARY KEY (object_id, version)
);
