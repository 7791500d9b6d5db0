package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/aam/connectors/postgres"
	"github.com/autonomos/autonomos/internal/testenv"
)

// BenchmarkRead reads a 100,000-row, 8-column table (integers, text,
// numeric, timestamptz, jsonb, boolean) by keyset pages of 1000 rows and
// reports rows/s.
func BenchmarkRead(b *testing.B) {
	u := testenv.PostgresURL(b)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	const rows = 100_000
	exec(b, pool,
		`CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, email text, revenue numeric(14,2),
			employees int, active boolean, created timestamptz, meta jsonb)`,
		`INSERT INTO accounts SELECT g, 'Account ' || g, 'a' || g || '@example.com', g * 10.5, g % 500, g % 2 = 0,
			'2024-01-01'::timestamptz + g * interval '1 minute', jsonb_build_object('tier', g % 3)
		 FROM generate_series(1, 100000) g`,
		`ANALYZE accounts`,
	)
	s, err := postgres.New(&postgres.Config{URL: u, BatchSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for b.Loop() {
		n := 0
		for batch, err := range s.Read(context.Background(), "public.accounts", "") {
			if err != nil {
				b.Fatal(err)
			}
			n += len(batch.Records)
		}
		if n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}
