-- 0016_reservation_blobs: the blobs a copy writes under its quota reservation, named before
-- their bytes are written and deleted in the transaction that records them (or when the copy
-- is undone). A process killed in between leaves them with its reservation; the sweep of
-- stale reservations at the next start queues them in blob_erasures, so their bytes are
-- removed instead of staying on both disks as orphans.
CREATE TABLE reservation_blobs (
  blob_id        TEXT    PRIMARY KEY,
  reservation_id TEXT    NOT NULL,
  owner_id       BIGINT  NOT NULL,
  primary_id     TEXT    NOT NULL,   -- the pair the bytes go to
  created_at     BIGINT  NOT NULL
);
CREATE INDEX reservation_blobs_reservation ON reservation_blobs (reservation_id);
