-- 0023_installation: this installation's id, made once (at the first start after this
-- migration) and written into the .nimbus-disk marker of every disk it opens. A disk whose
-- marker names another installation is refused: a second `nimbus serve` started with the same
-- disks but another data directory (a wrong working directory, a copied config) would otherwise
-- take the first one's disks as its own, and its scrub would delete their blobs as orphans.
CREATE TABLE installation (
  k          INTEGER PRIMARY KEY CHECK (k = 0),
  id         TEXT    NOT NULL,
  created_at BIGINT  NOT NULL
);
