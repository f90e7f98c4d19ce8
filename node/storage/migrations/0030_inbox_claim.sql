-- An inbox processor's claim tries its candidates in one statement (node/storage/inbox.py,
-- lock_first): the first of `ids` (the oldest due rows, in id order) that can be locked
-- with its actor (a transaction-scoped advisory lock: one processor applies an actor's
-- activities at a time, in order). Before, each try was its own round trip: with four
-- processors at the same head of the queue, about four of them a claim.
CREATE FUNCTION inbox_lock_first(ids bigint[], max_attempts integer, lock_class integer)
RETURNS TABLE (
    id bigint, activity_id text, actor text, type text, body jsonb, attempts integer
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    candidate bigint;
BEGIN
    FOREACH candidate IN ARRAY ids LOOP
        -- under FOR UPDATE the conditions are checked again on the row's newest version:
        -- another processor may have applied or failed it since it was picked
        RETURN QUERY
            SELECT i.id, i.activity_id, i.actor, i.type, i.body, i.attempts
            FROM inbox i
            WHERE i.id = candidate
              AND CASE WHEN i.processed_at IS NULL AND i.attempts < max_attempts
                    AND (i.retry_at IS NULL OR i.retry_at <= now())
                  THEN pg_try_advisory_xact_lock(lock_class, hashtext(i.actor))
                  ELSE false END
            FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            RETURN;
        END IF;
    END LOOP;
END $$;
