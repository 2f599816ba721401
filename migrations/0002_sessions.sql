-- Chat sessions that any node can resume: the token is stored only as its SHA-256.
CREATE TABLE chat_sessions (
    token_hash text COLLATE "C" PRIMARY KEY,
    ip text NOT NULL,
    dialog jsonb NOT NULL,
    -- NULL while a connection holds the session; when it left otherwise.
    away_since timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_away ON chat_sessions (away_since);

-- Who follows which case, for notifications missed while away.
CREATE TABLE chat_follows (
    receipt_number text COLLATE "C" NOT NULL,
    token_hash text COLLATE "C" NOT NULL REFERENCES chat_sessions ON DELETE CASCADE,
    PRIMARY KEY (receipt_number, token_hash)
);
CREATE INDEX chat_follows_token ON chat_follows (token_hash);
