-- Search: a generation number for the index. Every write to the index (a document added or
-- removed, its visibility window or group changed) adds one in the same transaction, so a reader
-- that keeps document attributes and term frequencies between searches (src/search/index_cache.c)
-- knows from the one row it reads anyway whether what it keeps is still true.
ALTER TABLE search_stats ADD COLUMN gen BIGINT NOT NULL DEFAULT 0;
