-- How a closed case closed: answered, closed_by_officer, or history (past
-- mail imported with `foid import --history`, left out of timeliness).
-- Cases closed before this column existed keep NULL and count as before.
ALTER TABLE cases ADD COLUMN closure TEXT;
