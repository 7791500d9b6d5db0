// Package memstore is the in-memory [repair.Driver]: the embedded default
// and the fast test double.
//
//	reg := repair.NewRegistry(memstore.New(), nil)   // state in memory only
//	s, err := memstore.Open("/var/lib/aos/repair.json") // and kept in a file
//	reg := repair.NewRegistry(s, nil)
//
// # Transactions
//
// One lock serializes transactions. A transaction reads the tenant's
// committed state and copies it on its first write (copy on write); the
// copy replaces the committed state when the transaction's function
// returns nil, and is dropped otherwise, so a failed transaction leaves
// nothing behind and read-only ones copy nothing. Each tenant has its own
// state: a transaction cannot see another tenant's mappings, reviews or
// audit entries.
//
// # File
//
// [Open] keeps the state in a JSON file as well, rewritten (to a
// temporary file with mode 0600, synced, then renamed) after every
// committed write: the embedded mode's "file under the data dir, kept
// across restarts". A write whose file cannot be written fails and is
// undone in memory too. Only one process may use a file.
//
// # Limits
//
// Every write copies the tenant's state, and with a file rewrites all
// tenants' state: meant for one process and modest volumes (thousands of
// mappings and review items per tenant). Use repair/pgstore beyond that.
//
// # Errors and concurrency
//
// Missing records wrap [repair.ErrNotFound]; a version inserted twice
// wraps [repair.ErrVersionConflict]; a closed store returns
// [repair.ErrClosed]; file problems are wrapped once with the path. A
// Store is safe for concurrent use.
package memstore
