-- The salon's vector-store settings: how its documents are cut, and the text-search
-- configuration its chunks are indexed with (language-aware where PostgreSQL has one).
CREATE TABLE knowledge_settings (
  id            integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  chunk_size    integer NOT NULL DEFAULT 1000 CHECK (chunk_size BETWEEN 100 AND 20000),
  chunk_overlap integer NOT NULL DEFAULT 200 CHECK (chunk_overlap >= 0 AND chunk_overlap * 2 <= chunk_size),
  text_config   text    NOT NULL DEFAULT 'simple',
  updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE chunks ADD COLUMN text_config text NOT NULL DEFAULT 'simple';
