// Package repairtest holds the conformance suite of [repair.Driver] and
// the acceptance suite of [repair.Notifier].
//
// Every driver's tests run [RunConformanceTests], so the in-memory and
// the PostgreSQL registries are proven to behave the same, and a driver of
// your own can prove it too:
//
//	func TestConformance(t *testing.T) {
//		repairtest.RunConformanceTests(t, func(t *testing.T) repair.Driver {
//			return mydriver.New(...) // fresh and empty for each subtest
//		})
//	}
//
// The suite drives the driver through a [repair.Registry], so it tests
// what users see: versions and optimistic concurrency (concurrent saves
// included), restore, not-found and invalid input, tenant isolation
// (another tenant's mapping, review item, audit entry or feedback is not
// found), the repair policy and Safe Mode, the review queue (approve,
// approve edited, reject, decided twice, not queued twice), feedback,
// transaction rollback and the audit trail.
//
// A notifier of your own runs [RunNotifierTests]: it is delivered, a
// cancelled context fails promptly with the context's error, and
// concurrent calls are safe.
package repairtest
