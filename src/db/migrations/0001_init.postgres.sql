-- 0001_init (PostgreSQL): same schema as 0001_init.sqlite.sql, for the driver to come.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at BIGINT  NOT NULL
);

CREATE TABLE jobs (
  name             TEXT    PRIMARY KEY,
  schedule         TEXT    NOT NULL,
  last_started_at  BIGINT,
  last_finished_at BIGINT,
  last_duration_ms BIGINT,
  last_outcome     TEXT CHECK (last_outcome IN ('ok', 'failed', 'running')),
  last_message     TEXT,
  next_run_at      BIGINT,
  run_count        BIGINT  NOT NULL DEFAULT 0,
  failure_count    BIGINT  NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_until      BIGINT
);
