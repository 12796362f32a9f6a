-- 0025_trash_deleted_by: who moved an item to the trash when it was not its owner (a colleague
-- with edit permission on a shared folder): the owner's trash says "deleted by Bob" (QA pass 18).
-- NULL: the owner, or an item deleted before this migration.
ALTER TABLE trash_items ADD COLUMN deleted_by BIGINT;
