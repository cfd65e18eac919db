-- The jobs foid runs once per working day (the morning digest): a row is
-- claimed in the same transaction that queues the job's mail, so a restart
-- or a second instance never sends the same day's digest twice.
CREATE TABLE daily_jobs (
    job      TEXT   NOT NULL,
    day      TEXT   NOT NULL,
    done_at  INTEGER NOT NULL,
    instance TEXT   NOT NULL,
    PRIMARY KEY (job, day)
);
