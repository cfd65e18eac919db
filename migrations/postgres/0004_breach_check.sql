-- What the breach check found in each attachment of a draft, as JSON
-- (a list of findings). NULL: the attachment was never checked (a draft
-- recorded before the check existed), which blocks its approval.
ALTER TABLE draft_attachments ADD COLUMN findings_json TEXT;
