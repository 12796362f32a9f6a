-- 0002_disks (PostgreSQL): same schema as 0002_disks.sqlite.sql, for the driver to come.
CREATE TABLE disks (
  id              TEXT    PRIMARY KEY,
  category        TEXT,                          -- NULL for a spare not yet attached
  role            TEXT    NOT NULL CHECK (role IN ('primary', 'mirror', 'spare')),
  uri             TEXT    NOT NULL UNIQUE,
  capacity_bytes  BIGINT  NOT NULL CHECK (capacity_bytes >= 0),
  mirror_id       TEXT,                          -- the other disk of the pair; NULL for a spare
  state           TEXT    NOT NULL
                  CHECK (state IN ('healthy', 'degraded', 'failed', 'resilvering', 'spare')),
  allocated_bytes BIGINT  NOT NULL DEFAULT 0 CHECK (allocated_bytes >= 0),
  used_bytes      BIGINT  NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
  created_at      BIGINT  NOT NULL,
  updated_at      BIGINT  NOT NULL
);

CREATE TABLE allocations (
  owner_id   BIGINT  PRIMARY KEY,
  primary_id TEXT    NOT NULL REFERENCES disks (id),
  bytes      BIGINT  NOT NULL CHECK (bytes > 0),
  used_bytes BIGINT  NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
  created_at BIGINT  NOT NULL,
  updated_at BIGINT  NOT NULL
);

CREATE INDEX allocations_primary ON allocations (primary_id);
