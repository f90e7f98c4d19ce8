-- A stored activity whose processing failed waits before it is tried again (retry_at),
-- instead of being retried at once by the next processor.
ALTER TABLE inbox ADD COLUMN retry_at timestamptz;
-- Finding an actor's earlier pending row (each actor's activities are applied in order).
CREATE INDEX inbox_pending_actor ON inbox (actor, id) WHERE processed_at IS NULL;
