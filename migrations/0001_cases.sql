-- Cases and the change log every node reads to notify its chats.
CREATE TABLE cases (
    receipt_number text COLLATE "C" PRIMARY KEY,
    record jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per committed write (an upsert, a batch, a delete): the receipt numbers of the
-- cases it changed. One row per write rather than per case keeps a bulk import from
-- writing every case twice (measured in docs/performance.md).
CREATE TABLE case_changes (
    id bigserial PRIMARY KEY,
    receipt_numbers text[] COLLATE "C" NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_changes_at ON case_changes (at);
