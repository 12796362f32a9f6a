-- 0003_allocation_moves (SQLite): an owner being moved to a pair of another category (a plan
-- change across categories). The target pair's allocated_bytes already include target_bytes.
CREATE TABLE allocation_moves (
  owner_id          BIGINT  PRIMARY KEY REFERENCES allocations (owner_id),
  target_primary_id TEXT    NOT NULL REFERENCES disks (id),
  target_bytes      BIGINT  NOT NULL CHECK (target_bytes > 0),
  started_at        BIGINT  NOT NULL
);
