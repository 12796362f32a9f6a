-- 0008_nodes_parent (PostgreSQL): every child of a folder whatever its trash state, for the
-- recursive walks of subtrees (copy, zip, delete for good) that the live-only indexes of 0007
-- cannot serve.
CREATE INDEX nodes_parent ON nodes (parent_id);
