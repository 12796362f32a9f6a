-- 0004_blobs (SQLite): the blob catalog (every committed blob, its owner, the pair holding it, its
-- size and whole-blob SHA-256), the persisted repair queue of the mirrored pairs, and the disk
-- tasks (resilver, scrub, move) with their progress. Times are milliseconds since the Unix epoch.
CREATE TABLE blobs (
  id         TEXT    PRIMARY KEY,
  owner_id   BIGINT  NOT NULL,
  primary_id TEXT    NOT NULL REFERENCES disks (id),  -- the pair holding the bytes
  size       BIGINT  NOT NULL CHECK (size >= 0),
  sha256     TEXT    NOT NULL,                        -- 64 lowercase hex characters
  created_at BIGINT  NOT NULL
);
CREATE INDEX blobs_owner ON blobs (owner_id);
CREATE INDEX blobs_primary ON blobs (primary_id);

CREATE TABLE repair_queue (
  primary_id TEXT    NOT NULL,  -- the pair
  blob_id    TEXT    NOT NULL,
  target     TEXT    NOT NULL CHECK (target IN ('primary', 'mirror')),
  reason     TEXT    NOT NULL,
  created_at BIGINT  NOT NULL,
  PRIMARY KEY (primary_id, blob_id, target)
);

CREATE TABLE disk_tasks (
  id          INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL CHECK (kind IN ('resilver', 'scrub', 'move')),
  disk_id     TEXT    NOT NULL,  -- resilver: the disk being rebuilt; scrub: the pair's primary
  owner_id    BIGINT,            -- move: the owner
  state       TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  total_blobs BIGINT  NOT NULL DEFAULT 0,
  done_blobs  BIGINT  NOT NULL DEFAULT 0,
  total_bytes BIGINT  NOT NULL DEFAULT 0,
  done_bytes  BIGINT  NOT NULL DEFAULT 0,
  result      TEXT    NOT NULL DEFAULT '',  -- JSON summary (scrub findings, copied counts)
  error       TEXT    NOT NULL DEFAULT '',
  lease_owner TEXT    NOT NULL DEFAULT '',
  lease_until BIGINT  NOT NULL DEFAULT 0,
  created_at  BIGINT  NOT NULL,
  updated_at  BIGINT  NOT NULL,
  finished_at BIGINT
);
CREATE INDEX disk_tasks_disk ON disk_tasks (disk_id, kind);
