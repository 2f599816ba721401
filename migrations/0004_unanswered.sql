-- What went unanswered: one row per fallback, near tie or "not helpful" vote, with the
-- message's identifiers already masked and nothing else about the person. Rows older than
-- the retention (CASEBOT_UNANSWERED_RETENTION_DAYS) are swept by the nodes.
CREATE TABLE unanswered (
    id bigserial PRIMARY KEY,
    at_ms bigint NOT NULL,
    kind text NOT NULL,
    lang text NOT NULL,
    text text NOT NULL,
    candidates jsonb NOT NULL
);
CREATE INDEX unanswered_at ON unanswered (at_ms);
