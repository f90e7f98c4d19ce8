-- A stored activity whose processing failed waits before it is tried again (retry_at),
-- instead of being retried at once by the next processor.
ALTER TABLE inbox ADD COLUMN retry_at timestamptz;
