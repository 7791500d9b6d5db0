package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/pgstore"
	"github.com/autonomos/autonomos/dcl/warehousetest"
)

// Replicas (each its own pool and Warehouse) write overlapping batches
// of the same records at once, in shuffled orders and versions: no
// deadlock, no lost update, and every record ends at its newest version.
func TestReplicasConcurrentUpserts(t *testing.T) {
	_, roles := newStore(t)
	if roles == nil {
		return
	}
	ctx := context.Background()
	const replicas, records, versions = 3, 200, 6
	var ws []*dcl.Warehouse
	for range replicas {
		pool, err := pgxpool.New(ctx, roles.AppURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		s, err := pgstore.Open(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		w, err := dcl.New(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	var wg sync.WaitGroup
	errs := make(chan error, replicas*versions)
	for r, w := range ws {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for _, v := range rng.Perm(versions) {
				var batch []canonical.Event
				for _, k := range rng.Perm(records) {
					batch = append(batch, warehousetest.Event(tenantA, "opportunity", "salesforce", fmt.Sprint(k), v+1,
						map[string]any{"id": fmt.Sprint(k), "amount": dec(t, fmt.Sprint(v+1))}))
				}
				if err := w.Write(ctx, tenantA, batch); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Write: %v", err)
	}
	res, err := ws[0].Query(ctx, tenantA, "SELECT count(*), min(amount)::text, max(amount)::text FROM opportunity")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(res.Rows[0]), fmt.Sprintf("[%d %d.000000000 %d.000000000]", records, versions, versions); got != want {
		t.Errorf("count, min, max amount = %s, want %s", got, want)
	}
}
