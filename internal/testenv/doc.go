// Package testenv gives tests real PostgreSQL and Redis, each test
// isolated from every other, in this process and in the other test
// binaries that `go test ./...` runs at the same time.
//
// Tests get a service only through this package:
//
//	func TestStore(t *testing.T) {
//		pool := testenv.Postgres(t)  // *pgxpool.Pool on a fresh database
//		rdb := testenv.Redis(t)      // *redis.Client on a database of its own
//		...
//	}
//
// # Where the services come from
//
// In this order:
//
//  1. AOS_TEST_POSTGRES_URL and AOS_TEST_REDIS_URL, e.g.
//     postgres://aos_test:secret@127.0.0.1:5432/postgres?sslmode=disable and
//     redis://127.0.0.1:6379/0. `bash .ci/run --services` prints these for
//     a machine it has set up.
//  2. Containers started with testcontainers-go (pgvector/pgvector:pg16 and
//     redis:7) when a Docker engine answers; one container per service and
//     test binary, removed by testcontainers' reaper when the binary exits.
//     Without an engine (no socket, no DOCKER_HOST) this is known at once.
//  3. Otherwise the test is skipped with the reason, or fails when
//     AOS_TEST_REQUIRE_SERVICES=1 (CI sets it, so a CI run can never pass
//     by skipping).
//
// # PostgreSQL
//
// [PostgresURL] creates a database named aos_test_<test>_<random> (with
// CREATE DATABASE, so the server role needs CREATEDB) and makes sure the
// vector extension is in it. The extension is created as the server role
// when missing; a non-superuser cannot do that, so the server must have it
// in template1, which every new database copies: CI runs CREATE EXTENSION
// vector in template1 as a superuser. A missing extension fails the test
// with that advice. At the end of the test the database is dropped WITH
// (FORCE), which also ends connections a test forgot to close.
// [Postgres] is the same with a pool, closed first.
//
// Row-level security does not apply to superusers or to BYPASSRLS roles,
// and not to a table's owner unless the table FORCEs it. A test that
// proves isolation must therefore run as a role that is none of these:
// [PostgresRoles] makes a fresh database plus a throw-away login role
// (aos_app_<random>: no SUPERUSER, BYPASSRLS, CREATEDB or CREATEROLE,
// owning nothing) and returns pools for both. The owner pool creates the
// tables (default privileges grant the app role SELECT, INSERT, UPDATE and
// DELETE on them); the app pool is what the application would use. This
// needs CREATEROLE on the server role; the role is dropped after the
// database.
//
// # Redis
//
// [Redis] leases one numbered database for the test. Leases live in the
// database named by AOS_TEST_REDIS_URL (the coordination database, never
// handed to a test) as keys aos:testenv:redis-db:<n>, set with SET NX and
// a 60-second TTL that the holder renews; a process that dies frees its
// databases within a minute. When all are leased, [Redis] waits (up to
// three minutes) for one. A leased database is flushed before the test
// gets it and after it ends. A standard Redis has 16 databases, so 15
// tests can hold one at once across all test binaries: call [Redis] once
// per test. Redis Cluster (database 0 only) is not supported.
//
// # Concurrency
//
// All functions are safe to call from parallel tests. Everything they
// return is closed or dropped by t.Cleanup; do not close it yourself
// (closing twice is harmless for the pools and the client).
package testenv
