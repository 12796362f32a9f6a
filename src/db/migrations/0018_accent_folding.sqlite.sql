-- 0018_accent_folding: nodes.sort_name is now also without accents ("Résumé" → "resume",
-- core/files/names.h FoldCase), so that listings put "élan" with "elan" and a search for
-- "resume" finds "Résumé.pdf". As in 0013, SQL cannot compute the key: this row asks `nimbus
-- serve` to recompute every node's at its next start (FileService::RekeySortNames).
INSERT INTO sort_name_rekey (pending) VALUES (1);
