-- +goose Up
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE kb_documents (
    tenant_id uuid NOT NULL,
    id text NOT NULL,
    title text NOT NULL DEFAULT '',
    tags text[] NOT NULL DEFAULT '{}',
    metadata jsonb NOT NULL DEFAULT '{}',
    added timestamptz NOT NULL,
    chunks integer NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE kb_chunks (
    tenant_id uuid NOT NULL,
    doc_id text NOT NULL,
    seq integer NOT NULL,
    title text NOT NULL DEFAULT '',
    content text NOT NULL,
    tags text[] NOT NULL DEFAULT '{}',
    embedding vector(384) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, title || ' ' || content)) STORED,
    PRIMARY KEY (tenant_id, doc_id, seq),
    FOREIGN KEY (tenant_id, doc_id) REFERENCES kb_documents (tenant_id, id) ON DELETE CASCADE
);

-- Approximate nearest neighbours by cosine distance (operator <=>).
CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 160);
-- Full text.
CREATE INDEX kb_chunks_tsv ON kb_chunks USING gin (tsv);

-- Row-level security per tenant, bound to the owner too (FORCE); the
-- tenant comes from app.tenant_id, set per transaction by pgtenant.RunTx.
ALTER TABLE kb_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_documents AS PERMISSIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE kb_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_chunks AS PERMISSIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE kb_chunks;
DROP TABLE kb_documents;
