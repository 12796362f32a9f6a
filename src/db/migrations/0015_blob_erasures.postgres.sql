-- 0015_blob_erasures: blobs whose rows were deleted (trash emptied or purged, a file replaced)
-- and whose bytes are still to be removed from their pair. Queued in the transaction that
-- deletes the row, dequeued once both copies are removed: a process killed in between leaves
-- the queue, not orphans, and the next start (or trash purge) finishes it.
CREATE TABLE blob_erasures (
  blob_id    TEXT    PRIMARY KEY,
  owner_id   BIGINT  NOT NULL,
  primary_id TEXT    NOT NULL,   -- the pair holding the bytes
  size       BIGINT  NOT NULL,
  sha256     TEXT    NOT NULL,
  created_at BIGINT  NOT NULL    -- of the blob
);
