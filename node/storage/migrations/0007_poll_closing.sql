-- A proposal's final Update (with `closed`) is sent once, when its endTime passes.
ALTER TABLE objects ADD COLUMN closed_at timestamptz;
-- (fields->>'endTime')::timestamptz is not immutable, so the index holds the open polls only.
CREATE INDEX objects_open_polls ON objects (id)
    WHERE kind = 'proposal' AND deleted_at IS NULL AND closed_at IS NULL;
