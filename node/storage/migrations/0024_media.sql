-- Uploaded images. The bytes live in the media store (a directory or an S3 bucket) under
-- `name`; this row is what the image is and whose. An attachment is referenced from an
-- object's fields (`images`), an avatar or header from its actor (`icon_url`, `image_url`).
CREATE TABLE media (
    name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{16,64}\.(jpg|png)$'),
    local_actor_id bigint NOT NULL REFERENCES local_actors (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('attachment', 'avatar', 'header')),
    media_type text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
    width integer NOT NULL CHECK (width > 0),
    height integer NOT NULL CHECK (height > 0),
    bytes integer NOT NULL CHECK (bytes > 0),
    sha256 text NOT NULL,
    uploaded_by text,  -- the account (or token) that uploaded it, for the audit trail
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_by_actor ON media (local_actor_id, created_at DESC);

-- A group's banner (Mastodon's `image` on an actor) beside its icon.
ALTER TABLE local_actors ADD COLUMN image_url text;
