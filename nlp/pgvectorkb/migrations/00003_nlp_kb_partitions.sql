-- +goose Up
-- kb_chunks becomes a table partitioned by tenant (LIST on tenant_id).
-- Every tenant's chunks start in the DEFAULT partition kb_chunks_shared;
-- pgvectorkb.Dedicate moves a large tenant into a partition of its own,
-- with HNSW, GIN and primary-key indexes that hold that tenant's rows
-- only. A search names its tenant, so the planner prunes to one
-- partition: the HNSW graph walked holds no other tenant's vectors (a
-- tenant filter over a shared graph spends most of ef_search on rows it
-- then throws away, which costs recall and time), and the full-text leg,
-- which row-level security keeps off the GIN index (@@ is not
-- leakproof), scans that tenant's rows only.
--
-- The old table is renamed and copied, not altered in place (PostgreSQL
-- cannot partition an existing table). Its FORCE is lifted first so that
-- the owner running this migration copies every tenant's rows; the new
-- table's row-level security is turned on after the copy.
ALTER TABLE kb_chunks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE kb_chunks RENAME TO kb_chunks_unpartitioned;
ALTER TABLE kb_chunks_unpartitioned RENAME CONSTRAINT kb_chunks_pkey TO kb_chunks_unpartitioned_pkey;
DROP INDEX kb_chunks_embedding_hnsw;
DROP INDEX kb_chunks_tsv;

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
) PARTITION BY LIST (tenant_id);
CREATE TABLE kb_chunks_shared PARTITION OF kb_chunks DEFAULT;

INSERT INTO kb_chunks (tenant_id, doc_id, seq, title, content, tags, embedding)
SELECT tenant_id, doc_id, seq, title, content, tags, embedding FROM kb_chunks_unpartitioned;

-- Whoever was granted rights on the old table keeps them on the new one.
-- +goose StatementBegin
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT a.privilege_type, a.grantee
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'kb_chunks_unpartitioned'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON kb_chunks TO %s', g.privilege_type,
            CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP TABLE kb_chunks_unpartitioned;

-- Partitioned indexes: every partition, present or attached later, gets
-- its own.
CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 24, ef_construction = 160);
CREATE INDEX kb_chunks_tsv ON kb_chunks USING gin (tsv);

-- Queries go through kb_chunks, whose policy applies; the partitions
-- carry the same policy for anyone who names one directly.
ALTER TABLE kb_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_chunks AS PERMISSIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE kb_chunks_shared ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_chunks_shared FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_chunks_shared AS PERMISSIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
ALTER TABLE kb_chunks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE kb_chunks RENAME TO kb_chunks_partitioned;
ALTER TABLE kb_chunks_partitioned RENAME CONSTRAINT kb_chunks_pkey TO kb_chunks_partitioned_pkey;
DROP INDEX kb_chunks_embedding_hnsw;
DROP INDEX kb_chunks_tsv;
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
-- The partitions' FORCE would hide rows from the owner as well.
-- +goose StatementBegin
DO $$
DECLARE
    p regclass;
BEGIN
    FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'kb_chunks_partitioned'::regclass LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', p);
    END LOOP;
END
$$;
-- +goose StatementEnd
INSERT INTO kb_chunks (tenant_id, doc_id, seq, title, content, tags, embedding)
SELECT tenant_id, doc_id, seq, title, content, tags, embedding FROM kb_chunks_partitioned;
-- +goose StatementBegin
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT a.privilege_type, a.grantee
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'kb_chunks_partitioned'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON kb_chunks TO %s', g.privilege_type,
            CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP TABLE kb_chunks_partitioned;
CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 24, ef_construction = 160);
CREATE INDEX kb_chunks_tsv ON kb_chunks USING gin (tsv);
ALTER TABLE kb_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_chunks AS PERMISSIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
