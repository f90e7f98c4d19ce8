-- A relayer's Announces of an object, found again when the object's origin deletes it (its
-- announces are withdrawn with an Undo).
CREATE INDEX outbox_announces_by_object ON outbox (object_id) WHERE type = 'Announce';
