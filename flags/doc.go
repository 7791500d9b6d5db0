// Package flags holds feature flags per tenant: switches such as
// USE_AAM_AS_SOURCE that change what the system does for one tenant
// without a restart.
//
// The flags that exist are listed in a [Catalog], each with a
// description and a default; [Standard] lists the ones AutonomOS
// components read (a server takes their defaults from its settings). A
// [Store] keeps the tenants' settings; asking for a name the catalog does
// not hold is [ErrUnknownFlag], so a typo never reads as "off".
//
//	cat, _ := flags.NewCatalog(flags.Standard()...)
//	store := memflags.New(cat)
//	_ = store.Set(ctx, tenant, flags.DCLAutoRun, false)
//	on, _ := store.Enabled(ctx, tenant, flags.DCLAutoRun) // false
//
// # Drivers
//
//   - [github.com/autonomos/autonomos/flags/memflags]: in memory,
//     optionally kept in a JSON file (the embedded default keeps flags
//     across restarts).
//   - [github.com/autonomos/autonomos/flags/redisflags]: a Redis hash per
//     tenant; a change is broadcast over Redis pub/sub so that every
//     replica drops its cached copy, and a check is a map read.
//
// [github.com/autonomos/autonomos/flags/flagtest] is the conformance
// suite both pass.
//
// # Errors
//
// [ErrUnknownFlag], [ErrInvalidFlag], [ErrClosed] and [ErrUnavailable],
// matched with errors.Is; tenant ids are checked with
// [tenancy.ID.Validate].
package flags
