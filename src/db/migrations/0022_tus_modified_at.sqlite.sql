-- 0022_tus_modified_at: the file's own modified time a resumable upload was created with
-- (Upload-Metadata modified_at, RFC 3339), given to the node when the upload is assembled, as
-- X-Modified-At is for a plain PUT: big photos and videos keep their dates too (issue 5, QA pass
-- 15 follow-up). NULL: the time of the upload.
ALTER TABLE tus_uploads ADD COLUMN modified_at INTEGER;
