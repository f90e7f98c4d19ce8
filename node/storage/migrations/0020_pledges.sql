-- Who pledged to a call to action: to come (going, maybe, or no) and what help they offer.
-- Never served publicly and never in a collection; counts only, except to the group.
CREATE TABLE pledges (
    call_id text NOT NULL,
    actor text NOT NULL,
    answer text CHECK (answer IN ('going', 'maybe', 'no')),
    help text[] NOT NULL DEFAULT '{}',
    via text NOT NULL CHECK (via IN ('event', 'question')),
    activity_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_id, actor)
);

-- The direct Questions a group sent to one person about one call (clients without Event
-- support answer them as poll votes); one of each ask per person and call.
CREATE TABLE pledge_questions (
    question_id text PRIMARY KEY,
    call_id text NOT NULL,
    recipient text NOT NULL,
    ask text NOT NULL CHECK (ask IN ('turnout', 'help')),
    options jsonb NOT NULL,                 -- option name -> answer or help kind
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_id, recipient, ask)
);

-- An optional reminder to every pledger, some time before the call starts.
CREATE TABLE pledge_reminders (
    call_id text PRIMARY KEY,
    remind_at timestamptz NOT NULL,
    sent_at timestamptz
);
CREATE INDEX pledge_reminders_due ON pledge_reminders (remind_at) WHERE sent_at IS NULL;
