// Package redisstore is the Redis [drift.Driver], for several hostd
// replicas sharing one Redis.
//
// # Layout
//
// Every key holds the tenant id as a hash tag, so one tenant's keys live
// in one cluster slot and a scan by tenant prefix finds them all:
//
//	<prefix>:drift:{<tenant>}:versions:<connection>:<object>  LIST of JSON drift.Version, oldest first
//	<prefix>:drift:{<tenant>}:objects                         SET of JSON ["<connection>","<object>"]
//
// Connection and object names are escaped ('%', ':', '{' and '}' become
// %25, %3A, %7B, %7D) so distinct names never share a key. Version n is
// list index n-1. An append is one Lua script that checks the list's
// length against the caller's expected latest version before pushing,
// so concurrent writers of one object never lose a version.
//
// The tenancy package has no Redis key helper yet; the keys are built
// here by [Driver] with the tenant as a component.
package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/tenancy"
)

// Config tunes a [Driver]. nil means the defaults.
type Config struct {
	// Prefix starts every key. Defaults to "aos".
	Prefix string
}

// Driver is a [drift.Driver] on Redis. It is safe for concurrent use.
// It does not own the client: the caller closes it.
type Driver struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ drift.Driver = (*Driver)(nil)

// New returns a Driver on rdb. cfg may be nil.
func New(rdb redis.UniversalClient, cfg *Config) *Driver {
	p := "aos"
	if cfg != nil && cfg.Prefix != "" {
		p = cfg.Prefix
	}
	return &Driver{rdb: rdb, prefix: p}
}

var escaper = strings.NewReplacer("%", "%25", ":", "%3A", "{", "%7B", "}", "%7D")

// tenantPrefix is "<prefix>:drift:{<tenant>}:".
func (d *Driver) tenantPrefix(t tenancy.ID) string {
	return d.prefix + ":drift:{" + t.String() + "}:"
}

func (d *Driver) versionsKey(k drift.Key) string {
	return d.tenantPrefix(k.Tenant) + "versions:" + escaper.Replace(k.ConnectionID) + ":" + escaper.Replace(k.Object)
}

func (d *Driver) objectsKey(t tenancy.ID) string { return d.tenantPrefix(t) + "objects" }

// appendScript: KEYS[1] versions list, KEYS[2] objects set; ARGV[1]
// expected length, ARGV[2] version JSON, ARGV[3] objects member. Returns
// {1, new length} or {0, current length} on conflict.
var appendScript = redis.NewScript(`
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then
  return {0, n}
end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return {1, n + 1}
`)

// Append implements [drift.Driver].
func (d *Driver) Append(ctx context.Context, key drift.Key, prev int64, v drift.Version) error {
	if v.Number != prev+1 {
		return fmt.Errorf("redisstore: version number %d does not follow %d", v.Number, prev)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redisstore: encode version: %w", err)
	}
	member, err := json.Marshal([2]string{key.ConnectionID, key.Object})
	if err != nil {
		return fmt.Errorf("redisstore: encode object: %w", err)
	}
	res, err := appendScript.Run(ctx, d.rdb, []string{d.versionsKey(key), d.objectsKey(key.Tenant)}, prev, body, member).Int64Slice()
	if err != nil {
		return fmt.Errorf("redisstore: append: %w", err)
	}
	if len(res) != 2 {
		return fmt.Errorf("redisstore: append: unexpected reply %v", res)
	}
	if res[0] != 1 {
		return fmt.Errorf("%w: latest version is %d, not %d", drift.ErrConflict, res[1], prev)
	}
	return nil
}

// Latest implements [drift.Driver].
func (d *Driver) Latest(ctx context.Context, key drift.Key) (drift.Version, error) {
	return d.index(ctx, key, -1)
}

// Get implements [drift.Driver].
func (d *Driver) Get(ctx context.Context, key drift.Key, n int64) (drift.Version, error) {
	if n < 1 {
		return drift.Version{}, fmt.Errorf("%w: version %d", drift.ErrNotFound, n)
	}
	return d.index(ctx, key, n-1)
}

func (d *Driver) index(ctx context.Context, key drift.Key, i int64) (drift.Version, error) {
	b, err := d.rdb.LIndex(ctx, d.versionsKey(key), i).Bytes()
	if errors.Is(err, redis.Nil) {
		return drift.Version{}, drift.ErrNotFound
	}
	if err != nil {
		return drift.Version{}, fmt.Errorf("redisstore: read: %w", err)
	}
	return decode(b)
}

func decode(b []byte) (drift.Version, error) {
	var v drift.Version
	if err := json.Unmarshal(b, &v); err != nil {
		return drift.Version{}, fmt.Errorf("redisstore: decode version: %w", err)
	}
	return v, nil
}

// List implements [drift.Driver].
func (d *Driver) List(ctx context.Context, key drift.Key, limit int) ([]drift.Version, error) {
	start := int64(0)
	if limit > 0 {
		start = -int64(limit)
	}
	raw, err := d.rdb.LRange(ctx, d.versionsKey(key), start, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list: %w", err)
	}
	out := make([]drift.Version, 0, len(raw))
	for i := len(raw) - 1; i >= 0; i-- {
		v, err := decode([]byte(raw[i]))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Objects implements [drift.Driver].
func (d *Driver) Objects(ctx context.Context, tenant tenancy.ID) ([]drift.Key, error) {
	members, err := d.rdb.SMembers(ctx, d.objectsKey(tenant)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: objects: %w", err)
	}
	out := make([]drift.Key, 0, len(members))
	for _, m := range members {
		var co [2]string
		if err := json.Unmarshal([]byte(m), &co); err != nil {
			return nil, fmt.Errorf("redisstore: decode object %q: %w", m, err)
		}
		out = append(out, drift.Key{Tenant: tenant, ConnectionID: co[0], Object: co[1]})
	}
	slices.SortFunc(out, func(a, b drift.Key) int {
		return cmp.Or(cmp.Compare(a.ConnectionID, b.ConnectionID), cmp.Compare(a.Object, b.Object))
	})
	return out, nil
}
