-- One row /healthz writes (and commits) on each check: a database that answers but cannot
-- write (read-only, out of disk) is not healthy.
CREATE TABLE health_probe (
    id smallint PRIMARY KEY CHECK (id = 1),
    checked_at timestamptz NOT NULL
);
