// Package redisstore is the Redis driver of [graphstore], on go-redis v9.
//
//	d, err := redisstore.New(client, nil)
//	store, err := graphstore.New(d, nil)
//
// # Keys and format
//
// A tenant's graph is one string value at the key of the system this
// replaces, "dcl:graph_state:" followed by the tenant id in its canonical
// UUID form, e.g. dcl:graph_state:0b5e5f8e-8f1c-4bb6-9d4f-2d3c8a1e7f00
// (the prefix can be changed with [Config.KeyPrefix]). The value is the
// JSON encoding of [graphstore.Graph], version first:
//
//	{
//	  "version": 7,                 // saves so far; the concurrency token
//	  "demo_version": 4,            // demo layout it was seeded from, 0 if none
//	  "demo_digest": "sha256:...",  // content digest of the seeded demo (optional)
//	  "updated_at": "2026-11-22T13:00:00.123456789Z",
//	  "nodes": [{"id": "source:salesforce", "kind": "source", "label": "Salesforce",
//	             "attributes": {"system": "salesforce"}}],
//	  "edges": [{"from": "source:salesforce", "to": "object:salesforce.Account",
//	             "kind": "contains", "confidence": 0, "row_count": 1240}]
//	}
//
// Attributes are omitted when empty. Fields this package does not know
// are ignored on load (and not kept on the next save). A value without a
// "version" field counts as version 0. A value that is not a JSON object
// is reported as [graphstore.ErrCorrupt] and left untouched.
//
// # Values of the system this replaces
//
// Load also reads the format the old system wrote at the same key, and
// the next save rewrites it in the format above:
//
//	{"nodes": [{"id": "ont_Customer", "label": "Customer", "type": "ontology", ...}],
//	 "edges": [{"source": "a", "target": "b", "edgeType": "hierarchy", "value": 1}],
//	 "last_updated": "2025-11-17T00:00:00Z", "demo_version": "v3.0"}
//
// A node's "type" becomes its kind ("ontology" becomes "entity"); an
// edge's "source" and "target" become From and To, its "type" or
// "edgeType" its kind ("dataflow" when absent); "last_updated" becomes
// UpdatedAt; every other field of a node or edge becomes an attribute
// (arrays and objects as their JSON text). "demo_version" strings such as
// "v3.0" are read as their major number (3): the old system's demo
// layouts are 1 to 3 and [graphstore.DemoVersion] continues from there.
// The old system counted every graph with a demo_version as an unchanged
// demo, so such a graph gets its own content digest as DemoDigest and
// [graphstore.Store.SeedDemo] upgrades it; a graph without demo_version was
// user-authored and is never overwritten.
//
// # Concurrency
//
// Save runs one Lua script: it reads the stored version, compares it with
// the expected one and writes, atomically on the server, so two replicas
// saving from the same version cannot both win. The script reads the
// version from the leading `{"version":N` this package writes without
// decoding the rest, and decodes the whole value only for values written
// by someone else.
//
// The driver does not own the client: Close leaves it open.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/tenancy"
)

// DefaultKeyPrefix is the key prefix of the system this replaces.
const DefaultKeyPrefix = "dcl:graph_state:"

// Config configures a [Driver]. The zero value is ready to use.
type Config struct {
	// KeyPrefix is put before the tenant id to form a key. Defaults to
	// "dcl:graph_state:".
	KeyPrefix string
}

// WithDefaults returns a copy of c (which may be nil) with every zero
// field set to its default.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.KeyPrefix == "" {
		out.KeyPrefix = DefaultKeyPrefix
	}
	return out
}

// Driver stores graphs in Redis. It is safe for concurrent use.
type Driver struct {
	client redis.UniversalClient
	prefix string
}

var (
	_ graphstore.Driver = (*Driver)(nil)
	_ graphstore.Pinger = (*Driver)(nil)
)

// New returns a driver on client, which the caller keeps owning. A nil
// cfg means defaults.
func New(client redis.UniversalClient, cfg *Config) (*Driver, error) {
	if client == nil {
		return nil, errors.New("redisstore: New: client is nil")
	}
	c := cfg.WithDefaults()
	return &Driver{client: client, prefix: c.KeyPrefix}, nil
}

// Key returns the Redis key of a tenant's graph.
func (d *Driver) Key(tenant tenancy.ID) string { return d.prefix + tenant.String() }

// saveScript compares and sets. KEYS[1] is the key, ARGV[1] the expected
// version, ARGV[2] the new value. It returns {1} when it wrote, {0, actual}
// on a version mismatch and {-1} when the stored value is not a JSON
// object.
var saveScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then
  local m = string.match(cur, '^{"version":(%d+)[,}]')
  if m then
    v = tonumber(m)
  else
    local ok, doc = pcall(cjson.decode, cur)
    if not ok or type(doc) ~= 'table' then
      return {-1}
    end
    v = tonumber(doc['version']) or 0
  end
end
if v ~= tonumber(ARGV[1]) then
  return {0, v}
end
redis.call('SET', KEYS[1], ARGV[2])
return {1}
`)

// Load implements [graphstore.Driver].
func (d *Driver) Load(ctx context.Context, tenant tenancy.ID) (*graphstore.Graph, error) {
	b, err := d.client.Get(ctx, d.Key(tenant)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, graphstore.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: get: %w", err)
	}
	return decode(b)
}

// Save implements [graphstore.Driver] with one atomic script.
func (d *Driver) Save(ctx context.Context, tenant tenancy.ID, g *graphstore.Graph, expected int64) error {
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("redisstore: encode: %w", err)
	}
	res, err := saveScript.Run(ctx, d.client, []string{d.Key(tenant)}, expected, b).Slice()
	if err != nil {
		return fmt.Errorf("redisstore: save script: %w", err)
	}
	if len(res) == 0 {
		return fmt.Errorf("redisstore: save script returned nothing")
	}
	switch res[0] {
	case int64(1):
		return nil
	case int64(-1):
		return fmt.Errorf("%w: the stored value is not a JSON object", graphstore.ErrCorrupt)
	case int64(0):
		if len(res) < 2 {
			return fmt.Errorf("redisstore: save script returned a conflict without a version")
		}
		actual, ok := res[1].(int64)
		if !ok {
			return fmt.Errorf("redisstore: save script returned version %v (%T)", res[1], res[1])
		}
		return &graphstore.VersionConflictError{Tenant: tenant, Expected: expected, Actual: actual}
	}
	return fmt.Errorf("redisstore: save script returned %v", res[0])
}

// Delete implements [graphstore.Driver].
func (d *Driver) Delete(ctx context.Context, tenant tenancy.ID) error {
	n, err := d.client.Del(ctx, d.Key(tenant)).Result()
	if err != nil {
		return fmt.Errorf("redisstore: del: %w", err)
	}
	if n == 0 {
		return graphstore.ErrNotFound
	}
	return nil
}

// Ping implements [graphstore.Pinger].
func (d *Driver) Ping(ctx context.Context) error {
	if err := d.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}

// Close implements [graphstore.Driver]. It does not close the client.
func (d *Driver) Close() error { return nil }
