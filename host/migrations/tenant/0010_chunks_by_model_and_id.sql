-- A vector index is loaded a page of ids at a time (model = $1 AND id > $2 ORDER BY id
-- LIMIT n): (model, id) serves that page in order from the index alone, and every lookup
-- by model as (model) did.
DROP INDEX chunks_model_idx;
CREATE INDEX chunks_model_idx ON chunks (model, id);
