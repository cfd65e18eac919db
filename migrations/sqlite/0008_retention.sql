-- Retention (`foid purge`): a closed case's personal data is erased once
-- the council's retention period has passed, while its reference, dates,
-- regime, outcomes and clock stay for the statistics. The integrity
-- triggers still refuse every other change: raw bytes may only be erased
-- (never altered), and an event's detail (and a requester's address as
-- its actor) may only be replaced by the purge marker.
ALTER TABLE cases ADD COLUMN purged_at INTEGER;

DROP TRIGGER raw_messages_bytes_immutable;
CREATE TRIGGER raw_messages_bytes_immutable BEFORE UPDATE OF bytes, sha256 ON raw_messages
WHEN NEW.sha256 IS NOT OLD.sha256 OR length(NEW.bytes) > 0
BEGIN
    SELECT RAISE(ABORT, 'raw message bytes are immutable (they may only be erased by a purge)');
END;

DROP TRIGGER case_events_no_update;
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
WHEN NOT (NEW.case_id IS OLD.case_id AND NEW.at IS OLD.at AND NEW.kind IS OLD.kind
  AND (NEW.detail_json IS OLD.detail_json OR NEW.detail_json = '{"purged":true}')
  AND (NEW.actor IS OLD.actor
       OR (NEW.actor = 'requester:[purged]' AND OLD.actor LIKE 'requester:%')))
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only (a purge may only erase their details)');
END;
