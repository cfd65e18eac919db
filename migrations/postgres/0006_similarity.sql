-- Each case's similarity signature (core::similarity): its questions'
-- content terms as 32-bit hashes. The in-memory index of past requests is
-- built from this table at start and caught up from it, so it survives
-- restarts without reading the requests again.
CREATE TABLE case_signatures (
    case_id   BIGINT PRIMARY KEY REFERENCES cases(id),
    signature BYTEA  NOT NULL
);
-- Finding a requester's own earlier cases.
CREATE INDEX cases_requester_received ON cases(requester_id, received_on);
