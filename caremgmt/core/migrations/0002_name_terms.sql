-- Distinct name words, so a search can correct one typo per word by
-- scanning this small table instead of the full-text index.

CREATE TABLE name_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
