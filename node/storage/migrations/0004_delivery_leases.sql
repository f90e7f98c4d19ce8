-- Which worker holds a delivery's lease. Each worker process holds a session advisory
-- lock (classid 28270, objid = its id) for its lifetime, so leases of a worker that died
-- (even by SIGKILL) are reclaimed as soon as PostgreSQL notices its connection is gone.
ALTER TABLE deliveries ADD COLUMN leased_by integer;
