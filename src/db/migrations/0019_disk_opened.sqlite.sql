-- 0019_disk_opened: when a disk's directory was first opened as that disk (its marker written or
-- found). A disk opened before whose directory is later missing or has no marker is not set up
-- again as a new, empty disk (a file system not mounted at boot would otherwise take blobs on
-- the root file system): it opens as absent and fails over to its mirror. Every disk recorded
-- so far has been opened, when it was created or attached.
ALTER TABLE disks ADD COLUMN opened_at BIGINT;
UPDATE disks SET opened_at = created_at;
