-- Host-aware delivery claims and a breaker that opens once per cooldown.
-- The claim scans due rows in (next_attempt_at, id) order: an index scan, no sort.
DROP INDEX IF EXISTS deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id);
-- Rows in flight per host (a claim never puts more in flight for one host than its cap);
-- leased rows are few, so the index is small.
CREATE INDEX deliveries_leased_by_host ON deliveries (host) WHERE lease_until IS NOT NULL;
-- How many times in a row the breaker opened (its cooldown doubles per opening).
ALTER TABLE host_breakers ADD COLUMN openings integer NOT NULL DEFAULT 0;
