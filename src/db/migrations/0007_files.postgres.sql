-- 0007_files (PostgreSQL): same schema as 0007_files.sqlite.sql: the file tree (folders and files of every user, one row per node), the
-- trash (a deleted node and everything under it is one trash item), quota reservations of
-- uploads in flight, and resumable (tus) uploads.

CREATE TABLE nodes (
  id          TEXT    PRIMARY KEY,                 -- opaque random id; a root's is users.root_id
  owner_id    BIGINT  NOT NULL,
  parent_id   TEXT,                                -- NULL only for a user's root folder
  name        TEXT    NOT NULL,                    -- NFC UTF-8, 1-255 bytes; '' for a root
  sort_name   TEXT    NOT NULL,                    -- case-folded name: the listing order
  type        TEXT    NOT NULL CHECK (type IN ('file', 'folder')),
  size        BIGINT  NOT NULL DEFAULT 0 CHECK (size >= 0),  -- file bytes; 0 for folders
  blob_id     TEXT,                                -- files: the blob holding the bytes
  sha256      TEXT,                                -- files: 64 lowercase hex characters
  version     BIGINT  NOT NULL DEFAULT 1,          -- bumped on every change (part of the etag)
  trash_id    TEXT,                                -- the trash item this node went with; NULL: live
  created_at  BIGINT  NOT NULL,
  modified_at BIGINT  NOT NULL
);
-- Names are unique among the live children of a folder.
CREATE UNIQUE INDEX nodes_live_name ON nodes (parent_id, name) WHERE trash_id IS NULL;
-- Keyset paging of a folder: folders first, then files, each by the sort key then id.
CREATE INDEX nodes_by_name ON nodes (parent_id, type, sort_name, id) WHERE trash_id IS NULL;
CREATE INDEX nodes_by_modified ON nodes (parent_id, type, modified_at, id) WHERE trash_id IS NULL;
CREATE INDEX nodes_by_size ON nodes (parent_id, type, size, id) WHERE trash_id IS NULL;
CREATE INDEX nodes_trash ON nodes (trash_id) WHERE trash_id IS NOT NULL;
CREATE INDEX nodes_owner ON nodes (owner_id, type);
CREATE INDEX nodes_blob ON nodes (blob_id) WHERE blob_id IS NOT NULL;

-- Every existing user gets its root folder (new users get it with their account).
INSERT INTO nodes (id, owner_id, parent_id, name, sort_name, type, created_at, modified_at)
  SELECT root_id, id, NULL, '', '', 'folder', created_at, created_at FROM users;

CREATE TABLE trash_items (
  id                 TEXT    PRIMARY KEY,
  owner_id           BIGINT  NOT NULL,
  node_id            TEXT    NOT NULL UNIQUE,      -- the node that was deleted (top of the item)
  original_parent_id TEXT    NOT NULL,
  original_path      TEXT    NOT NULL,             -- '/a/b/name' at the time of deletion
  size               BIGINT  NOT NULL DEFAULT 0,   -- bytes of every file in the item
  deleted_at         BIGINT  NOT NULL
);
CREATE INDEX trash_items_owner ON trash_items (owner_id, deleted_at, id);
CREATE INDEX trash_items_deleted ON trash_items (deleted_at);

-- Bytes promised to uploads in flight: counted against the quota with the used bytes until the
-- upload is recorded (the row is deleted in the same transaction) or fails.
CREATE TABLE reservations (
  id         TEXT    PRIMARY KEY,
  owner_id   BIGINT  NOT NULL,
  bytes      BIGINT  NOT NULL CHECK (bytes >= 0),
  kind       TEXT    NOT NULL CHECK (kind IN ('upload', 'tus', 'copy')),
  created_at BIGINT  NOT NULL
);
CREATE INDEX reservations_owner ON reservations (owner_id);

-- Resumable uploads (tus 1.0.0). The bytes received so far are in a staging file named by id;
-- upload_offset is what is durable there. The reservation of `length` bytes has the same id.
CREATE TABLE tus_uploads (
  id            TEXT    PRIMARY KEY,
  owner_id      BIGINT  NOT NULL,
  parent_id     TEXT    NOT NULL,                  -- the folder `path` is relative to
  path          TEXT    NOT NULL,                  -- 'a/b/file.txt'
  on_conflict   TEXT    NOT NULL CHECK (on_conflict IN ('fail', 'replace', 'rename')),
  length        BIGINT  NOT NULL CHECK (length >= 0),
  upload_offset BIGINT  NOT NULL DEFAULT 0,
  metadata      TEXT    NOT NULL DEFAULT '',       -- Upload-Metadata as sent
  state         TEXT    NOT NULL CHECK (state IN ('receiving', 'assembling', 'done', 'failed')),
  node_id       TEXT,                              -- done: the node it became
  error         TEXT    NOT NULL DEFAULT '',       -- failed: why, for a person
  created_at    BIGINT  NOT NULL,
  updated_at    BIGINT  NOT NULL
);
CREATE INDEX tus_uploads_owner ON tus_uploads (owner_id);
CREATE INDEX tus_uploads_updated ON tus_uploads (state, updated_at);
