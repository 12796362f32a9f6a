-- 0003_allocation_moves (PostgreSQL): same schema as 0003_allocation_moves.sqlite.sql.
CREATE TABLE allocation_moves (
  owner_id          BIGINT  PRIMARY KEY REFERENCES allocations (owner_id),
  target_primary_id TEXT    NOT NULL REFERENCES disks (id),
  target_bytes      BIGINT  NOT NULL CHECK (target_bytes > 0),
  started_at        BIGINT  NOT NULL
);
