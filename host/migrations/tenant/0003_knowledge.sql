-- The salon's knowledge: uploaded documents (and later photos), their chunks with a
-- full-text vector and an embedding. Deleting a document deletes its chunks.
CREATE TABLE documents (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text        NOT NULL DEFAULT 'document' CHECK (kind IN ('document', 'photo')),
  title        text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  filename     text        CHECK (length(filename) <= 300),
  format       text        NOT NULL CHECK (format IN ('txt', 'md', 'csv', 'pdf', 'docx', 'xlsx', 'jpeg', 'png', 'webp')),
  size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
  storage_key  text        NOT NULL,
  status       text        NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  error        text        CHECK (length(error) <= 1000),
  chunk_count  integer     NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_kind_idx ON documents (kind, id DESC);

CREATE TABLE chunks (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id bigint      NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  position    integer     NOT NULL,
  label       text,
  page        integer     NOT NULL DEFAULT 0,
  text        text        NOT NULL,
  tsv         tsvector    NOT NULL,
  embedding   real[]      NOT NULL,
  model       text        NOT NULL
);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);
CREATE INDEX chunks_document_idx ON chunks (document_id, position);
