-- A vision's plan: each item published by the group that owns it (only it updates it).
-- Kept for our own visions (from any owner) and for the items our groups own.
CREATE TABLE plan_items (
    id text PRIMARY KEY,                 -- the item Note's id
    vision_id text NOT NULL,
    owner text NOT NULL,                 -- the owning group's actor URL
    title text NOT NULL,
    status text NOT NULL CHECK (status IN ('proposed', 'underway', 'done', 'dropped')),
    due date,
    progress jsonb NOT NULL DEFAULT '[]',
    document jsonb NOT NULL,
    local_actor_id bigint REFERENCES local_actors (id) ON DELETE CASCADE,  -- ours, if ours
    published_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_items_vision ON plan_items (vision_id, due NULLS LAST, published_at);
