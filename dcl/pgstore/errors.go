package pgstore

import "errors"

// Sentinel errors of the package, matched with errors.Is.
var (
	// ErrNotMigrated reports that the database lacks a table, column or
	// view the ontology needs: run [Migrate] (as the owner role) with the
	// same ontology first.
	ErrNotMigrated = errors.New("pgstore: warehouse schema not migrated")
	// ErrInvalidConfig reports a Config or MigrateConfig that cannot be
	// used.
	ErrInvalidConfig = errors.New("pgstore: invalid config")
)
