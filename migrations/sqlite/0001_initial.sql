-- foid schema, SQLite flavour. Times are Unix seconds (INTEGER); calendar
-- dates are 'YYYY-MM-DD' text in the council's time zone. The PostgreSQL
-- flavour in migrations/postgres/ has the same tables and columns.

-- Where ingestion got to in each mailbox.
CREATE TABLE mailbox_checkpoints (
    mailbox      TEXT    PRIMARY KEY,
    uidvalidity  INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Every message exactly as it arrived. The bytes never change.
CREATE TABLE raw_messages (
    id                INTEGER PRIMARY KEY,
    sha256            TEXT    NOT NULL,
    message_id        TEXT    NOT NULL,
    source            TEXT    NOT NULL,           -- imap | maildir | import
    mailbox           TEXT,
    uidvalidity       INTEGER,
    uid               INTEGER,
    arrived_at        INTEGER NOT NULL,           -- the server's arrival time
    size              INTEGER NOT NULL,
    bytes             BLOB    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'new', -- new | processed | duplicate | ignored | quarantined
    kind              TEXT,
    case_id           INTEGER REFERENCES cases(id),
    quarantine_reason TEXT,
    process_attempts  INTEGER NOT NULL DEFAULT 0,   -- failed processing attempts
    server_done       INTEGER NOT NULL DEFAULT 0, -- moved out of the inbox
    stored_at         INTEGER NOT NULL,
    processed_at      INTEGER,
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX raw_messages_state ON raw_messages(state, id);
CREATE INDEX raw_messages_message_id ON raw_messages(message_id);
CREATE INDEX raw_messages_server_done ON raw_messages(server_done, mailbox);

CREATE TRIGGER raw_messages_bytes_immutable BEFORE UPDATE OF bytes, sha256 ON raw_messages
BEGIN
    SELECT RAISE(ABORT, 'raw message bytes are immutable');
END;

CREATE TABLE requesters (
    id           INTEGER PRIMARY KEY,
    name         TEXT,
    identity_key TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);

CREATE TABLE requester_addresses (
    address      TEXT    PRIMARY KEY,
    requester_id INTEGER NOT NULL REFERENCES requesters(id),
    first_seen   INTEGER NOT NULL
);

CREATE TABLE reference_counters (
    prefix TEXT    NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    reference         TEXT    NOT NULL UNIQUE,
    regime            TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    state             TEXT    NOT NULL,           -- open | closed
    requester_id      INTEGER NOT NULL REFERENCES requesters(id),
    requester_address TEXT    NOT NULL,
    reply_to          TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    received_at       INTEGER NOT NULL,
    received_on       TEXT    NOT NULL,
    due_on            TEXT,
    raw_message_id    INTEGER NOT NULL REFERENCES raw_messages(id),
    request_text      TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    closed_on         TEXT
);
CREATE INDEX cases_state ON cases(state, due_on);
CREATE INDEX cases_requester ON cases(requester_id);

CREATE TABLE questions (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    number       INTEGER NOT NULL,
    text         TEXT    NOT NULL,
    options_json TEXT    NOT NULL DEFAULT '[]',
    parts_json   TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (case_id, number)
);

-- The case's history: who did what, when. Append-only.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    detail_json TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only');
END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only');
END;

CREATE TABLE flags (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    kind          TEXT    NOT NULL,
    evidence_json TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX flags_case ON flags(case_id);

-- Message-IDs foid sent or received for a case, so replies thread back.
CREATE TABLE case_messages (
    message_id TEXT    PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    direction  TEXT    NOT NULL                   -- in | out
);

CREATE TABLE drafts (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    version        INTEGER NOT NULL,
    body           TEXT    NOT NULL,
    content_sha256 TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    state          TEXT    NOT NULL,              -- pending | approved | superseded
    UNIQUE (case_id, version)
);

-- Mail to send, rendered to its final bytes when queued.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER REFERENCES cases(id),
    purpose         TEXT    NOT NULL,             -- acknowledgement | case_email | reply | notice
    message_id      TEXT    NOT NULL UNIQUE,
    envelope_from   TEXT    NOT NULL,
    recipients_json TEXT    NOT NULL,
    bytes           BLOB    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued', -- queued | sent | failed | held
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- Small named values: the calendar fingerprint the open cases were computed with.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
