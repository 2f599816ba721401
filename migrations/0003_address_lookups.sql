-- Case look-ups per client address, seen by every node, so the per-address limit holds
-- whichever node a client's chats land on. Rows older than the limit's window are purged.
CREATE TABLE address_lookups (
    ip text NOT NULL,
    session_hash text COLLATE "C" NOT NULL,
    receipt_number text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ip, session_hash, receipt_number)
);
CREATE INDEX address_lookups_at ON address_lookups (at);
