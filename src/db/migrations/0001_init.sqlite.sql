-- 0001_init (SQLite): the migration ledger and the job scheduler's table.
-- Times are integers: milliseconds since the Unix epoch, UTC.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at BIGINT  NOT NULL
);

CREATE TABLE jobs (
  name             TEXT    PRIMARY KEY,
  schedule         TEXT    NOT NULL,              -- "every 10s", "daily 03:30"
  last_started_at  BIGINT,
  last_finished_at BIGINT,
  last_duration_ms BIGINT,
  last_outcome     TEXT CHECK (last_outcome IN ('ok', 'failed', 'running')),
  last_message     TEXT,
  next_run_at      BIGINT,
  run_count        BIGINT  NOT NULL DEFAULT 0,
  failure_count    BIGINT  NOT NULL DEFAULT 0,
  lease_owner      TEXT,                           -- who runs it now (process and instance)
  lease_until      BIGINT                          -- the run's lease; NULL when idle
);
