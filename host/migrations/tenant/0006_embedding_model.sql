-- The salon's choice among the host's embedding models (NULL: the host's default). Chunks
-- record the model that embedded them; the vector index is built from one model's chunks.
ALTER TABLE knowledge_settings ADD COLUMN embedding_model text;
CREATE INDEX chunks_model_idx ON chunks (model);
