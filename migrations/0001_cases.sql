-- Cases and the change log every node reads to notify its chats.
CREATE TABLE cases (
    receipt_number text COLLATE "C" PRIMARY KEY,
    record jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per committed change of a case (write or delete). `at` is the time the row was
-- written (clock_timestamp, not the transaction's start), which the listeners use to know
-- when no transaction still in flight can add a smaller id.
CREATE TABLE case_changes (
    id bigserial PRIMARY KEY,
    receipt_number text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_changes_at ON case_changes (at);
