-- The acknowledgement rate limit (process.rs, recent_acknowledgements)
-- counts an address's recent acknowledgements for every incoming request:
--   WHERE purpose = 'acknowledgement' AND LOWER(recipients_json) = $1
--     AND created_at > $2
-- Without an index that was a sequential scan of the outbox per message:
-- ingest slowed as the outbox grew. The index matches the query's
-- expression exactly.
CREATE INDEX outbox_acknowledgements ON outbox(purpose, LOWER(recipients_json), created_at);

-- The same for the other lookups made per message:
-- store_raw (Maildir and import) finds bytes already stored by their hash;
CREATE INDEX raw_messages_sha256 ON raw_messages(sha256);
-- a WhatDoTheyKnow follow-up finds its case by the per-request address;
CREATE INDEX cases_reply_to ON cases(LOWER(reply_to));
-- a reference quoted in any case finds its case.
CREATE INDEX cases_reference_upper ON cases(UPPER(reference));
