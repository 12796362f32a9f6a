-- 0020_listing_ties_by_name: a folder listed by size or by date shows files of the same size or
-- time in name order (A to Z, or Z to A when descending), as file managers do, instead of in id
-- order. The two indexes gain sort_name before id, which keyset paging then uses.
DROP INDEX nodes_by_modified;
DROP INDEX nodes_by_size;
CREATE INDEX nodes_by_modified ON nodes (parent_id, type, modified_at, sort_name, id)
  WHERE trash_id IS NULL;
CREATE INDEX nodes_by_size ON nodes (parent_id, type, size, sort_name, id) WHERE trash_id IS NULL;
