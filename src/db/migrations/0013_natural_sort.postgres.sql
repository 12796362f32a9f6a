-- 0013_natural_sort: nodes.sort_name now lists numbers in natural order ("f2" before "f10",
-- core/files/names.h SortName). SQL cannot compute the new key: this row asks `nimbus serve` to
-- recompute the key of every node at its next start (FileService::RekeySortNames), which then
-- deletes the row.
CREATE TABLE sort_name_rekey (
  pending INTEGER NOT NULL
);
INSERT INTO sort_name_rekey (pending) VALUES (1);
