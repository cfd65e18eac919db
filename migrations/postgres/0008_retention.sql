-- Retention (`foid purge`): a closed case's personal data is erased once
-- the council's retention period has passed, while its reference, dates,
-- regime, outcomes and clock stay for the statistics. The integrity
-- triggers still refuse every other change: raw bytes may only be erased
-- (never altered), and an event's detail (and a requester's address as
-- its actor) may only be replaced by the purge marker.
ALTER TABLE cases ADD COLUMN purged_at BIGINT;

DROP TRIGGER raw_messages_bytes_immutable ON raw_messages;
CREATE TRIGGER raw_messages_bytes_immutable BEFORE UPDATE OF bytes, sha256 ON raw_messages
    FOR EACH ROW WHEN (NEW.sha256 IS DISTINCT FROM OLD.sha256 OR length(NEW.bytes) > 0)
    EXECUTE FUNCTION foid_refuse('raw message bytes are immutable (they may only be erased by a purge)');

DROP TRIGGER case_events_append_only ON case_events;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION foid_refuse('case events are append-only');
CREATE TRIGGER case_events_purge_only BEFORE UPDATE ON case_events
    FOR EACH ROW WHEN (NOT (NEW.case_id IS NOT DISTINCT FROM OLD.case_id
        AND NEW.at IS NOT DISTINCT FROM OLD.at AND NEW.kind IS NOT DISTINCT FROM OLD.kind
        AND (NEW.detail_json IS NOT DISTINCT FROM OLD.detail_json OR NEW.detail_json = '{"purged":true}')
        AND (NEW.actor IS NOT DISTINCT FROM OLD.actor
             OR (NEW.actor = 'requester:[purged]' AND OLD.actor LIKE 'requester:%'))))
    EXECUTE FUNCTION foid_refuse('case events are append-only (a purge may only erase their details)');
