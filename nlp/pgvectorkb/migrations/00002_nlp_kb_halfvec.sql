-- +goose Up
-- The HNSW index holds half-precision copies of the embeddings
-- (halfvec, pgvector 0.7+): half the pages of a vector(384) index, so a
-- search reads about half as many buffers for the same ef_search and
-- recall. Search re-sorts its candidates by the exact (single-precision)
-- distance from the table.
DROP INDEX kb_chunks_embedding_hnsw;
CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 24, ef_construction = 160);

-- +goose Down
DROP INDEX kb_chunks_embedding_hnsw;
CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 160);
