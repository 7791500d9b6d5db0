// Package drift describes the schemas of source objects, infers them
// where sources declare none, fingerprints and compares them, and keeps
// their history, so that a change at a source (a renamed column, a
// number that became text) is seen before it breaks a mapping.
//
// In the pipeline it sits between the connectors and repair: aam's
// connectors discover a [Schema] per object, the [Detector] compares it
// with the last one recorded and emits an [Event] on drift, and repair
// takes the event's removed and added fields to look for renames.
//
// # Schemas and profiles
//
// A [Schema] lists an object's [Field]s with a declared type, nullability,
// a bounded set of samples and [Stats]. [Profile] and [Profiler] compute
// stats from raw text values: null and distinct ratios, lengths, the
// numeric range and the share of values that have each [Pattern] (email,
// phone, url, domain, date, timestamp, epoch, currency code, country,
// id-like, percentages, numeric, integer, boolean, money). The matcher in
// repair weighs these shares to map source fields to the ontology.
// Detection is a handful of byte scans per value, no regular
// expressions; country and currency tables come from golang.org/x/text.
//
// # Inference
//
// Sources without a declared schema (CSV files, MongoDB collections) are
// read through an [Inferrer] (or [InferRecords], [InferCSV]): nested maps
// become dotted paths ("CustomerRef.value"), types widen as values
// disagree (integer -> number -> string, date -> timestamp), a field
// missing from some records is nullable, and each field keeps a
// reservoir sample driven by a seedable generator, so inference is
// reproducible. Memory is bounded by [InferConfig].
//
// # Fingerprints and diffs
//
// [Fingerprint] hashes an object's field names and types and nothing
// else: reordering fields or new samples keep it. [TypeFingerprint]
// hashes only the multiset of types; equal type fingerprints with
// different fingerprints hint at renames. Both document their canonical
// form and carry a version prefix ("v1:").
//
// [Diff] compares two versions field by field and grades each [Change]
// with a [Severity], in the spirit of Airbyte's breaking / non-breaking
// split:
//
//	field added                          non_breaking
//	field removed                        breaking (repair checks for a rename)
//	integer -> number, date -> timestamp non_breaking (widening)
//	any other type change                breaking (narrowing, string <-> number,
//	                                     anything -> string)
//	became nullable                      non_breaking
//	became required                      info
//	primary key changed                  breaking
//
// [SchemaDiff.Err] turns the breaking changes into [*BreakingChangeError]
// values. Renames are never decided here.
//
// # Store and detector
//
// A [Store] keeps every version of every (tenant, connection, object)
// schema over a [Driver]: drift/memstore in memory, drift/redisstore on
// Redis (keys carry the tenant as a hash tag). Versions are numbered
// from 1 without gaps; appends are compare-and-set on the latest number,
// so concurrent observers, in one process or several, never lose a
// version. drift/drifttest.RunConformanceTests holds the shared
// semantics every driver must pass.
//
// Getting started:
//
//	store := drift.NewStore(memstore.New(), nil)
//	det := drift.NewDetector(store, nil)
//	ev, err := det.Observe(ctx, tenant, schema) // nil event: first sighting or no change
//	if ev != nil && ev.Severity == drift.SeverityBreaking {
//		// hand ev.Diff.Removed and ev.Diff.Added to repair
//	}
//
// # Errors
//
// Sentinels live in errors.go: [ErrNotFound], [ErrInvalidSchema] (also
// matched by [*SchemaError], which names the object and field),
// [ErrInvalidKey], [ErrConflict], [ErrInvalidRecord]. Context errors come
// back as they are.
//
// # Concurrency
//
// [Store], [Detector] and the drivers are safe for concurrent use.
// [Profiler] and [Inferrer] are not; use one per goroutine. The pure
// functions ([Profile], [Fingerprint], [Diff]) are safe.
//
// # Testing
//
// Use drift/memstore in tests; a driver of your own proves itself with
// drifttest.RunConformanceTests. Clocks ([StoreConfig.Clock],
// [DetectorConfig.Clock]) and the sampling generator ([InferConfig.Rand])
// are injectable for deterministic tests.
package drift
