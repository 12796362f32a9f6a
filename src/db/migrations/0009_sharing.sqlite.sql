-- 0009_sharing (SQLite): shares of a node with another user (read or edit, covering everything
-- under it), public links to a node (a random token, optional password and expiry, a download
-- count), and the activity on both that owners see. Rows outlive a node's stay in the trash
-- (restoring it restores them); deleting the node for good deletes them.

CREATE TABLE shares (
  id         TEXT    PRIMARY KEY,
  node_id    TEXT    NOT NULL,
  owner_id   BIGINT  NOT NULL,                     -- the node's owner (only the owner shares)
  grantee_id BIGINT  NOT NULL,
  permission TEXT    NOT NULL CHECK (permission IN ('read', 'edit')),
  created_at BIGINT  NOT NULL,
  UNIQUE (node_id, grantee_id)
);
CREATE INDEX shares_grantee ON shares (grantee_id, node_id);
CREATE INDEX shares_owner ON shares (owner_id, created_at, id);

CREATE TABLE links (
  id             TEXT    PRIMARY KEY,
  token          TEXT    NOT NULL UNIQUE,          -- >= 128 random bits, URL-safe (the URL)
  node_id        TEXT    NOT NULL,
  owner_id       BIGINT  NOT NULL,
  password_hash  TEXT,                             -- NULL: no password
  expires_at     BIGINT,                           -- NULL: never
  download_count BIGINT  NOT NULL DEFAULT 0,
  created_at     BIGINT  NOT NULL
);
CREATE INDEX links_node ON links (node_id);
CREATE INDEX links_owner ON links (owner_id, created_at, id);

-- Accesses through a share (by its grantee) or a link (by an IP), newest kept per share/link.
CREATE TABLE share_activity (
  id       INTEGER PRIMARY KEY,
  share_id TEXT,                                   -- exactly one of share_id and link_id
  link_id  TEXT,
  at       BIGINT  NOT NULL,
  actor_id BIGINT,                                 -- the user (shares)
  ip       TEXT    NOT NULL DEFAULT '',            -- the client address (links)
  action   TEXT    NOT NULL,                       -- view, list, download, zip, upload, ...
  node_id  TEXT    NOT NULL DEFAULT '',
  path     TEXT    NOT NULL DEFAULT ''             -- what, as the accessor saw it
);
CREATE INDEX share_activity_share ON share_activity (share_id, at) WHERE share_id IS NOT NULL;
CREATE INDEX share_activity_link ON share_activity (link_id, at) WHERE link_id IS NOT NULL;
