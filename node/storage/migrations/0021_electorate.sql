-- Votes on a local proposal from outside its electorate: not counted, kept apart so the
-- organisers see how many were refused (once per voter).
CREATE TABLE refused_votes (
    question_id text NOT NULL,
    voter text NOT NULL,
    reason text NOT NULL,
    activity_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (question_id, voter)
);
