// Package pgvectorkb is the PostgreSQL + pgvector [nlp.KBStore].
//
// Chunks live in kb_chunks with their embedding in a vector(384) column
// under an HNSW index with cosine distance (vector_cosine_ops), and a
// generated tsvector column (English configuration, title and text) under
// a GIN index for full text. Both tables are under row-level security per
// tenant (ENABLE and FORCE, policy on app.tenant_id), and every statement
// runs in a transaction opened by [pgtenant.RunTx], so a query can only
// see its own tenant's rows even if its WHERE clause were wrong. Connect
// as a role that is neither a superuser nor BYPASSRLS, or the policy is
// skipped.
//
// kb_chunks is partitioned by tenant (LIST on tenant_id, migration
// 00003). Tenants share the DEFAULT partition kb_chunks_shared until
// [Dedicate] gives one a partition of its own, with its own HNSW,
// full-text and primary-key indexes. Every search names its tenant, so
// the planner reads one partition: a dedicated tenant's vector search
// walks a graph of its own vectors only, instead of spending most of
// hnsw.ef_search on other tenants' rows that the filter then drops, and
// its full-text search scans its own rows only (under row-level
// security the GIN index cannot serve @@, which is not leakproof, so
// the text leg filters the tenant's rows). Dedicate the tenants with
// many chunks (tens of thousands and up); small ones cost little in the
// shared partition.
//
// The HNSW index is on a half-precision copy of the embedding
// (embedding::halfvec(384), migration 00002): about 40% fewer pages than
// a vector(384) index for the same recall, so fewer buffer reads per
// search. Candidates are re-sorted by the exact single-precision distance.
//
// Vector search sets hnsw.iterative_scan = relaxed_order (pgvector 0.8)
// for the transaction, so when the tenant and tag filters remove most of
// what the index returns first, the scan goes on instead of returning too
// few rows; results are re-sorted by exact distance. Full-text search
// matches any word of the query (the words of plainto_tsquery joined by
// OR) and ranks by ts_rank, over at most [Config].TextCandidates matching
// rows.
//
// # Getting started
//
//	if err := pgvectorkb.Migrate(ctx, ownerPool, nil); err != nil { ... }
//	store, err := pgvectorkb.New(appPool, nil)
//	kb, err := nlp.NewKB(store, nil)
//
// The schema's vector dimension is [Dimension]; the embedder of the
// [nlp.KB] must produce vectors of that length ([nlp.NewHashEmbedder](0)
// does; for an OpenAI-compatible model ask for 384 dimensions).
//
// # Performance
//
// BenchmarkHybridSearch loads 100k chunks for one tenant and 10k for each
// of 9 others (384 dimensions, [nlp.HashEmbedder] over synthetic text),
// gives the large tenant its partition ([Dedicate]), builds the halfvec
// indexes (m 24, ef_construction 160) and runs [nlp.KB.Search] in hybrid
// mode (200 searches), as the application role under row-level security:
//
//	go test ./nlp/pgvectorkb -run '^$' -bench BenchmarkHybridSearch -benchtime 200x -benchmem -v
//
// With the dedicated partition it measured p50 16.13 ms, p95 27.60 ms
// and a recall@10 of the HNSW search against exact search of 0.963 at
// the default ef_search 200 (0.912 at 100, 0.975 at 300, 0.983 at 400),
// on 2 cores shared with other work (1-minute load average 8 when the
// run ended). Other runs, at load about 6.6: recall 0.960, p50 28.0 ms,
// p95 41.2 ms; at load 13 to 15: recall 0.957, p50 42.5 ms, p95 70.7
// ms. The latency follows the machine's load; the recall does not.
// When the same tenant's rows shared one 190k-row index with the other
// tenants, recall was 0.937 at ef_search 200 and 0.955 only at 300 (p50
// 16.95 ms, p95 28.24 ms at 200 on a quiet machine): the graph walked
// no longer holds the other 90k vectors.
//
// Latency hardly changes: the shared index returned enough of the
// tenant's rows from its first ef_search candidates (the tenant holds
// half of them), so it did about the same work per search, part of it
// on other tenants' vectors. Run one after the other on the same data
// (A/B, 200 queries, as the application role, load average about 15),
// the shared index and the dedicated partition gave vector search (k
// 40) p50 54.3 and 49.6 ms, full text 13.8 and 14.7 ms, both
// concurrently 43.7 and 42.5 ms (p95 79.9 and 78.5 ms).
// Hashed embeddings of synthetic text are a hard case for HNSW; model
// embeddings usually reach a higher recall at the same ef_search.
//
// A Store is safe for concurrent use; it does not own the pool.
package pgvectorkb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// Dimension is the length of the embedding column of the schema.
const Dimension = 384

// Config configures [New]. The zero value is usable.
type Config struct {
	// EfSearch is hnsw.ef_search, the size of the HNSW candidate list;
	// larger is slower and more accurate. It is raised to k when a search
	// asks for more. Defaults to 200 (see BenchmarkHybridSearch for the
	// recall and latency of other values).
	EfSearch int
	// TextCandidates caps how many rows matching any query word are
	// ranked by full-text search: ranking reads every matching row's
	// tsvector, and a question with a common word matches a large share
	// of a big tenant's chunks. The cap takes the first matches the GIN
	// index yields, not the best, so it trades full-text recall on large
	// tenants for a bounded latency; vector search is not affected.
	// Defaults to 1000.
	TextCandidates int
	// Logger receives debug lines. Defaults to slog.Default().
	Logger *slog.Logger
}

// Store is the PostgreSQL knowledge-base store.
type Store struct {
	pool *pgxpool.Pool
	cfg  Config
}

var _ nlp.KBStore = (*Store)(nil)

// New returns a store on pool, whose database [Migrate] has set up.
func New(pool *pgxpool.Pool, cfg *Config) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: pool is nil", nlp.ErrInvalidConfig)
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.EfSearch == 0 {
		c.EfSearch = 200
	}
	if c.EfSearch < 1 || c.EfSearch > 1000 {
		return nil, fmt.Errorf("%w: Config.EfSearch is %d, want 1 to 1000", nlp.ErrInvalidConfig, c.EfSearch)
	}
	if c.TextCandidates == 0 {
		c.TextCandidates = 1000
	}
	if c.TextCandidates < 1 {
		return nil, fmt.Errorf("%w: Config.TextCandidates is %d, want positive", nlp.ErrInvalidConfig, c.TextCandidates)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Store{pool: pool, cfg: c}, nil
}

func wrap(ctx context.Context, op string, tenant tenancy.ID, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, nlp.ErrDocumentNotFound) || errors.Is(err, tenancy.ErrNoTenant) {
		return err
	}
	return fmt.Errorf("pgvectorkb: %s for %s: %w", op, tenant, err)
}

// Put replaces the document and its chunks in one transaction.
func (s *Store) Put(ctx context.Context, tenant tenancy.ID, doc nlp.Document, chunks []nlp.StoredChunk) error {
	for _, c := range chunks {
		if len(c.Embedding) != Dimension {
			return &nlp.DimensionError{Want: Dimension, Got: len(c.Embedding)}
		}
	}
	meta := doc.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("pgvectorkb: put %q: metadata: %w", doc.ID, err)
	}
	tags := doc.Tags
	if tags == nil {
		tags = []string{}
	}
	err = pgtenant.RunTx(ctx, s.pool, tenant, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM kb_documents WHERE tenant_id = $1 AND id = $2`, tenant.String(), doc.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kb_documents (tenant_id, id, title, tags, metadata, added, chunks)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenant.String(), doc.ID, doc.Title, tags, mj, doc.Added, doc.Chunks); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, c := range chunks {
			b.Queue(`INSERT INTO kb_chunks (tenant_id, doc_id, seq, title, content, tags, embedding)
				VALUES ($1, $2, $3, $4, $5, $6, $7::vector)`, tenant.String(), doc.ID, c.Seq, c.Title, c.Text, tags, pgvector.NewVector(c.Embedding))
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(ctx, "put "+fmt.Sprintf("%q", doc.ID), tenant, err)
}

// List returns the tenant's documents ordered by ID.
func (s *Store) List(ctx context.Context, tenant tenancy.ID) ([]nlp.Document, error) {
	out := []nlp.Document{}
	err := pgtenant.RunTxOptions(ctx, s.pool, tenant, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, title, tags, metadata, added, chunks FROM kb_documents
			WHERE tenant_id = $1 ORDER BY id`, tenant.String())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d nlp.Document
			var mj []byte
			if err := rows.Scan(&d.ID, &d.Title, &d.Tags, &mj, &d.Added, &d.Chunks); err != nil {
				return err
			}
			if err := json.Unmarshal(mj, &d.Metadata); err != nil {
				return err
			}
			if len(d.Metadata) == 0 {
				d.Metadata = nil
			}
			if len(d.Tags) == 0 {
				d.Tags = nil
			}
			d.Added = d.Added.UTC()
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(ctx, "list", tenant, err)
	}
	return out, nil
}

// Delete removes a document and (by cascade) its chunks.
func (s *Store) Delete(ctx context.Context, tenant tenancy.ID, id string) error {
	err := pgtenant.RunTx(ctx, s.pool, tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM kb_documents WHERE tenant_id = $1 AND id = $2`, tenant.String(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: %q", nlp.ErrDocumentNotFound, id)
		}
		return nil
	})
	return wrap(ctx, "delete", tenant, err)
}

// filterSQL keeps chunks whose tags share one with $n, or that have none.
func filterSQL(n int) string {
	return fmt.Sprintf("(cardinality($%d::text[]) = 0 OR cardinality(tags) = 0 OR tags && $%d::text[])", n, n)
}

func tagsArg(f nlp.Filter) []string {
	if f.Tags == nil {
		return []string{}
	}
	return f.Tags
}

// SearchVector returns the k nearest chunks by cosine distance through
// the HNSW index, with iterative scans so filters do not starve results.
func (s *Store) SearchVector(ctx context.Context, tenant tenancy.ID, vec []float32, k int, filter nlp.Filter) ([]nlp.ChunkHit, error) {
	if len(vec) != Dimension {
		return nil, &nlp.DimensionError{Want: Dimension, Got: len(vec)}
	}
	var hits []nlp.ChunkHit
	err := pgtenant.RunTxOptions(ctx, s.pool, tenant, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// The settings and the query go in one batch: one round trip.
		batch := &pgx.Batch{}
		batch.Queue(`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
			set_config('hnsw.ef_search', $1, true)`, fmt.Sprint(max(s.cfg.EfSearch, k)))
		batch.Queue(`WITH c AS MATERIALIZED (
				SELECT doc_id, seq, title, content, tags, embedding <=> $2::vector AS dist
				FROM kb_chunks
				WHERE tenant_id = $1 AND `+filterSQL(4)+`
				ORDER BY embedding::halfvec(384) <=> $2::vector::halfvec(384)
				LIMIT $3)
			SELECT doc_id, seq, title, content, tags, dist FROM c ORDER BY dist, doc_id, seq`,
			tenant.String(), pgvector.NewVector(vec), k, tagsArg(filter))
		br := tx.SendBatch(ctx, batch)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		if hits, err = scanHits(rows, func(d float64) float64 { return 1 - d }); err != nil {
			return err
		}
		return br.Close()
	})
	if err != nil {
		return nil, wrap(ctx, "vector search", tenant, err)
	}
	return hits, nil
}

// SearchText returns the k best chunks by ts_rank for any word of query,
// among the first [Config].TextCandidates matches.
func (s *Store) SearchText(ctx context.Context, tenant tenancy.ID, query string, k int, filter nlp.Filter) ([]nlp.ChunkHit, error) {
	var hits []nlp.ChunkHit
	err := pgtenant.RunTxOptions(ctx, s.pool, tenant, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH q AS (
				SELECT replace(plainto_tsquery('english', $2)::text, ' & ', ' | ')::tsquery AS q),
			m AS MATERIALIZED (
				SELECT doc_id, seq, title, content, tags, tsv
				FROM kb_chunks, q
				WHERE tenant_id = $1 AND tsv @@ q.q AND `+filterSQL(4)+`
				LIMIT $5)
			SELECT doc_id, seq, title, content, tags, ts_rank(tsv, q.q) AS rank
			FROM m, q
			ORDER BY rank DESC, doc_id, seq
			LIMIT $3`,
			tenant.String(), query, k, tagsArg(filter), s.cfg.TextCandidates)
		if err != nil {
			return err
		}
		hits, err = scanHits(rows, func(r float64) float64 { return r })
		return err
	})
	if err != nil {
		return nil, wrap(ctx, "text search", tenant, err)
	}
	return hits, nil
}

func scanHits(rows pgx.Rows, score func(float64) float64) ([]nlp.ChunkHit, error) {
	defer rows.Close()
	var out []nlp.ChunkHit
	for rows.Next() {
		var h nlp.ChunkHit
		var v float64
		if err := rows.Scan(&h.Chunk.DocumentID, &h.Chunk.Seq, &h.Chunk.Title, &h.Chunk.Text, &h.Chunk.Tags, &v); err != nil {
			return nil, err
		}
		if len(h.Chunk.Tags) == 0 {
			h.Chunk.Tags = nil
		}
		h.Score = score(v)
		out = append(out, h)
	}
	return out, rows.Err()
}

// IsMissingSchema reports whether err comes from a database that
// [Migrate] has not set up (undefined table).
func IsMissingSchema(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}
