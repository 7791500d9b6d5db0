package pgvectorkb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/pgvectorkb"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// synth generates a synthetic corpus: topics of their own words over a
// shared vocabulary drawn with a Zipf law, so that some words are common
// and full-text queries match many rows, as in real text.
type synth struct {
	r      *rand.Rand
	common []string
	topics [][]string
	zipf   *rand.Zipf
}

func newSynth(seed uint64) *synth {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	syl := []string{"ka", "lo", "mi", "ren", "tas", "vo", "zu", "pe", "dri", "gan", "hol", "ny", "sef", "tor", "ul", "bra", "cen", "fi", "mor", "quen"}
	word := func() string {
		n := 2 + r.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		return b.String()
	}
	s := &synth{r: r}
	for range 5050 {
		s.common = append(s.common, word())
	}
	for range 200 {
		t := make([]string, 30)
		for i := range t {
			t[i] = word()
		}
		s.topics = append(s.topics, t)
	}
	s.zipf = rand.NewZipf(r, 1.1, 1, uint64(len(s.common)-51))
	return s
}

// text returns n words: 40% from topic, the rest common by Zipf.
func (s *synth) text(topic, n int) string {
	ws := make([]string, n)
	for i := range ws {
		if s.r.Float64() < 0.4 {
			ws[i] = s.topics[topic][s.r.IntN(len(s.topics[topic]))]
		} else {
			// The 50 most frequent words stand for stop words, which the
			// English text-search configuration drops: leave them out.
			ws[i] = s.common[50+s.zipf.Uint64()]
		}
	}
	return strings.Join(ws, " ")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkHybridSearch measures KB.Search (hybrid: query embedding,
// HNSW vector search with iterative scans, full text, RRF) for one tenant
// holding 100k chunks among 10 tenants (the 9 others 10k chunks each), as
// the application role under row-level security. The large tenant has a
// partition of its own (Dedicate); the others share the default one. It
// reports ms-p95 of the searches and recall: the share of the exact top
// 10 (brute force in Go over the tenant's vectors) that the HNSW search
// returns. The command and the figures are in the package documentation.
// AOS_BENCH_KB_CHUNKS and AOS_BENCH_KB_OTHER change the sizes.
func BenchmarkHybridSearch(b *testing.B) {
	ctx := context.Background()
	roles := testenv.PostgresRoles(b)
	main := envInt("AOS_BENCH_KB_CHUNKS", 100_000)
	other := envInt("AOS_BENCH_KB_OTHER", 10_000)
	if err := pgvectorkb.Migrate(ctx, roles.Owner, nil); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, roles.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	tenants := make([]tenancy.ID, 10)
	for i := range tenants {
		tenants[i] = tenancy.MustParse(fmt.Sprintf("%08d-0000-4000-8000-%012d", i+1, i+1))
	}
	measured := tenants[0]
	// The large tenant gets a partition of its own (the 9 others share
	// the default one), before loading: its rows go straight there.
	if err := pgvectorkb.Dedicate(ctx, roles.Owner, measured, nil); err != nil {
		b.Fatal(err)
	}
	// COPY goes to a staging table with real[] embeddings (pgx encodes
	// []float32 natively), cast to vector in one INSERT ... SELECT.
	for _, s := range []string{
		`DROP INDEX kb_chunks_embedding_hnsw`,
		`CREATE UNLOGGED TABLE kb_stage (tenant_id uuid, doc_id text, seq int, title text, content text, tags text[], embedding real[])`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			b.Fatal(s, err)
		}
	}
	emb, _ := nlp.NewHashEmbedder(pgvectorkb.Dimension)
	sy := newSynth(7)
	type key struct {
		doc string
		seq int
	}
	var mainKeys []key
	var mainVecs [][]float32
	t0 := time.Now()
	const perDoc = 100
	for ti, tn := range tenants {
		n := other
		if ti == 0 {
			n = main
		}
		var docRows, chunkRows [][]any
		for d := 0; d*perDoc < n; d++ {
			id := fmt.Sprintf("doc-%05d", d)
			topic := sy.r.IntN(len(sy.topics))
			cnt := min(perDoc, n-d*perDoc)
			docRows = append(docRows, []any{tn.String(), id, "Document " + id, []string{}, []byte("{}"), time.Now(), cnt})
			for s := range cnt {
				text := sy.text(topic, 60)
				v := emb.EmbedOne("Document " + id + "\n\n" + text)
				chunkRows = append(chunkRows, []any{tn.String(), id, s, "Document " + id, text, []string{}, v})
				if ti == 0 {
					mainKeys = append(mainKeys, key{id, s})
					mainVecs = append(mainVecs, v)
				}
			}
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"kb_documents"}, []string{"tenant_id", "id", "title", "tags", "metadata", "added", "chunks"}, pgx.CopyFromRows(docRows)); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"kb_stage"}, []string{"tenant_id", "doc_id", "seq", "title", "content", "tags", "embedding"}, pgx.CopyFromRows(chunkRows)); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range []string{
		`INSERT INTO kb_chunks (tenant_id, doc_id, seq, title, content, tags, embedding)
		 SELECT tenant_id, doc_id, seq, title, content, tags, embedding::vector FROM kb_stage`,
		`DROP TABLE kb_stage`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			b.Fatal(s, err)
		}
	}
	b.Logf("loaded %d + 9 x %d chunks in %v", main, other, time.Since(t0).Round(time.Second))
	t0 = time.Now()
	for _, s := range []string{
		`SET maintenance_work_mem = '2GB'`,
		`SET max_parallel_maintenance_workers = 2`,
		`CREATE INDEX kb_chunks_embedding_hnsw ON kb_chunks USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 24, ef_construction = 160)`,
		`ANALYZE kb_chunks`, `ANALYZE kb_documents`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			b.Fatal(s, err)
		}
	}
	b.Logf("HNSW index and ANALYZE in %v", time.Since(t0).Round(time.Second))

	store, err := pgvectorkb.New(roles.App, nil)
	if err != nil {
		b.Fatal(err)
	}
	kb, err := nlp.NewKB(store, nil)
	if err != nil {
		b.Fatal(err)
	}
	queries := make([]string, 200)
	for i := range queries {
		queries[i] = sy.text(sy.r.IntN(len(sy.topics)), 8)
	}

	if os.Getenv("AOS_BENCH_KB_EXPLAIN") != "" {
		explain(b, roles.App, measured, emb.EmbedOne(queries[0]), queries[0])
	}

	// Recall of the HNSW index against exact search, k = 10, at the
	// store's default ef_search (reported) and at others (logged).
	const k = 10
	type sc struct {
		i int
		s float64
	}
	exact := make([]map[key]bool, 100)
	for qi, q := range queries[:100] {
		qv := emb.EmbedOne(q)
		all := make([]sc, len(mainVecs))
		for i, v := range mainVecs {
			all[i] = sc{i, dot(qv, v)}
		}
		sort.Slice(all, func(a, c int) bool { return all[a].s > all[c].s })
		exact[qi] = map[key]bool{}
		for _, x := range all[:k] {
			exact[qi][mainKeys[x.i]] = true
		}
	}
	recallAt := func(st *pgvectorkb.Store) float64 {
		found := 0
		for qi, q := range queries[:100] {
			hits, err := st.SearchVector(ctx, measured, emb.EmbedOne(q), k, nlp.Filter{})
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range hits {
				if exact[qi][key{h.Chunk.DocumentID, h.Chunk.Seq}] {
					found++
				}
			}
		}
		return float64(found) / float64(100*k)
	}
	recall := recallAt(store)
	for _, ef := range []int{100, 200, 300, 400} {
		st, _ := pgvectorkb.New(roles.App, &pgvectorkb.Config{EfSearch: ef})
		t := time.Now()
		r := recallAt(st)
		b.Logf("HNSW recall@%d against exact search at ef_search %d: %.3f (%v per query)", k, ef, r, time.Since(t)/100)
	}

	b.Run(fmt.Sprintf("tenant%dk-of-10", main/1000), func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			t := time.Now()
			hits, err := kb.Search(ctx, measured, queries[i%len(queries)], &nlp.SearchOptions{K: k})
			if err != nil {
				b.Fatal(err)
			}
			if len(hits) == 0 {
				b.Fatal("no hits")
			}
			lat = append(lat, time.Since(t))
		}
		b.StopTimer()
		slices.Sort(lat)
		p := func(q float64) float64 {
			return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(p(0.95), "ms-p95")
		b.ReportMetric(p(0.50), "ms-p50")
		b.ReportMetric(recall, "recall@10")
	})
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

// explain logs the plans of one vector and one text query, for tuning.
func explain(b *testing.B, db pgtenant.Beginner, tenant tenancy.ID, vec []float32, q string) {
	ctx := context.Background()
	for _, sql := range []string{
		`EXPLAIN (ANALYZE, BUFFERS) WITH c AS MATERIALIZED (
			SELECT doc_id, seq, title, content, tags, embedding <=> $2::vector AS dist
			FROM kb_chunks
			WHERE tenant_id = $1 AND (cardinality($4::text[]) = 0 OR cardinality(tags) = 0 OR tags && $4::text[])
			ORDER BY embedding::halfvec(384) <=> $2::vector::halfvec(384)
			LIMIT $3)
		SELECT doc_id, seq, title, content, tags, dist FROM c ORDER BY dist, doc_id, seq`,
		`EXPLAIN (ANALYZE, BUFFERS) WITH q AS (
			SELECT replace(plainto_tsquery('english', $2)::text, ' & ', ' | ')::tsquery AS q),
		m AS MATERIALIZED (
			SELECT doc_id, seq, title, content, tags, tsv
			FROM kb_chunks, q
			WHERE tenant_id = $1 AND tsv @@ q.q AND (cardinality($4::text[]) = 0 OR cardinality(tags) = 0 OR tags && $4::text[])
			LIMIT 1000)
		SELECT doc_id, seq, title, content, tags, ts_rank(tsv, q.q) AS rank
		FROM m, q
		ORDER BY rank DESC, doc_id, seq
		LIMIT $3`,
	} {
		err := pgtenant.RunTx(ctx, db, tenant, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', '200', true)`); err != nil {
				return err
			}
			var arg2 any = pgvector.NewVector(vec)
			if strings.Contains(sql, "plainto") {
				arg2 = q
			}
			rows, err := tx.Query(ctx, sql, tenant.String(), arg2, 40, []string{})
			if err != nil {
				return err
			}
			var lines []string
			for rows.Next() {
				var l string
				if err := rows.Scan(&l); err != nil {
					return err
				}
				lines = append(lines, l)
			}
			b.Logf("%s", strings.Join(lines, "\n"))
			return rows.Err()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
