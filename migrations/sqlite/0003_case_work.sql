-- Officers working cases by email: who a case is assigned to, the request's
-- own Message-ID (the reply is threaded on it), each question's outcome,
-- drafts with their files, approval codes (only their hashes), and what the
-- outbox needs to send each message once: who claimed it, and the copy to
-- keep once a mail carrying a secret (a preview's code) has gone.
ALTER TABLE cases ADD COLUMN assigned_to TEXT;
ALTER TABLE cases ADD COLUMN request_message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE questions ADD COLUMN outcome_json TEXT;

ALTER TABLE drafts ADD COLUMN refusal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN outcomes_json TEXT NOT NULL DEFAULT '[]';

CREATE TABLE draft_attachments (
    id           INTEGER PRIMARY KEY,
    draft_id     INTEGER NOT NULL REFERENCES drafts(id),
    position     INTEGER NOT NULL,
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    UNIQUE (draft_id, position)
);

CREATE TABLE approval_codes (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    draft_version INTEGER NOT NULL,
    approver      TEXT    NOT NULL,
    code_sha256   TEXT    NOT NULL UNIQUE,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX approval_codes_case ON approval_codes(case_id);

ALTER TABLE outbox ADD COLUMN sent_copy BLOB;
ALTER TABLE outbox ADD COLUMN copied_to_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX outbox_sent_copies ON outbox(state, copied_to_sent);
