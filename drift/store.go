package drift

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Key names the schema history of one source object of one tenant.
type Key struct {
	// Tenant owns the connection. Required.
	Tenant tenancy.ID `json:"tenant"`
	// ConnectionID identifies the tenant's connection. Required.
	ConnectionID string `json:"connection_id"`
	// Object is the object, table or file name. Required.
	Object string `json:"object"`
}

// KeyOf returns the key of s for tenant.
func KeyOf(tenant tenancy.ID, s *Schema) Key {
	return Key{Tenant: tenant, ConnectionID: s.ConnectionID, Object: s.Object}
}

// Validate returns an error wrapping [ErrInvalidKey] naming the missing
// part, or nil.
func (k Key) Validate() error {
	switch {
	case k.Tenant.IsZero():
		return fmt.Errorf("%w: no tenant", ErrInvalidKey)
	case k.ConnectionID == "":
		return fmt.Errorf("%w: tenant %s object %q: no connection id", ErrInvalidKey, k.Tenant, k.Object)
	case k.Object == "":
		return fmt.Errorf("%w: tenant %s connection %q: no object", ErrInvalidKey, k.Tenant, k.ConnectionID)
	}
	return nil
}

// String returns "tenant/connection/object", for logs.
func (k Key) String() string { return k.Tenant.String() + "/" + k.ConnectionID + "/" + k.Object }

// Version is one recorded schema of an object.
type Version struct {
	// Number counts the object's versions from 1, without gaps.
	Number int64 `json:"number"`
	// Schema is the recorded schema.
	Schema *Schema `json:"schema"`
	// Fingerprint and TypeFingerprint are the schema's [Fingerprint] and
	// [TypeFingerprint].
	Fingerprint     string `json:"fingerprint"`
	TypeFingerprint string `json:"type_fingerprint"`
	// RecordedAt is when the version was recorded.
	RecordedAt time.Time `json:"recorded_at"`
}

// Driver is the storage under a [Store]. Drivers keep versions per key
// and enforce the one invariant the Store cannot: an append succeeds
// only if the key's latest version number is still the one the caller
// saw. The Store validates keys and schemas, numbers versions and
// retries; drivers must be safe for concurrent use and must scope every
// read and write by the key's tenant. drifttest.RunConformanceTests
// checks a driver.
type Driver interface {
	// Append stores v, whose Number is prev+1, if the key's latest
	// version number is prev (0: the key has no version). Otherwise it
	// returns an error wrapping [ErrConflict] and stores nothing.
	Append(ctx context.Context, key Key, prev int64, v Version) error
	// Latest returns the key's newest version, or an error wrapping
	// [ErrNotFound].
	Latest(ctx context.Context, key Key) (Version, error)
	// Get returns version number n of the key, or an error wrapping
	// [ErrNotFound].
	Get(ctx context.Context, key Key, n int64) (Version, error)
	// List returns up to limit versions of the key, newest first
	// (limit <= 0: all). A key without versions gives an empty list.
	List(ctx context.Context, key Key, limit int) ([]Version, error)
	// Objects lists the keys of the tenant that have versions, sorted by
	// connection id then object.
	Objects(ctx context.Context, tenant tenancy.ID) ([]Key, error)
}

// StoreConfig tunes a [Store]. nil means the defaults.
type StoreConfig struct {
	// Clock gives the time recorded with a version. Defaults to
	// time.Now.
	Clock func() time.Time
	// MaxAttempts bounds how often [Store.Record] retries an append that
	// lost a race with another writer. Defaults to 8.
	MaxAttempts int
}

// Store keeps the last seen schema of every (tenant, connection, object)
// with its history of versions, over a [Driver] (drift/memstore for one
// process and tests, drift/redisstore for several replicas).
//
// A Store is safe for concurrent use, also across processes sharing one
// backend: concurrent writers of one key never lose a version; each
// gets its own number. Versions returned are copies the caller owns.
type Store struct {
	d           Driver
	now         func() time.Time
	maxAttempts int
}

// NewStore returns a Store over d. cfg may be nil.
func NewStore(d Driver, cfg *StoreConfig) *Store {
	s := &Store{d: d, now: time.Now, maxAttempts: 8}
	if cfg != nil {
		if cfg.Clock != nil {
			s.now = cfg.Clock
		}
		if cfg.MaxAttempts > 0 {
			s.maxAttempts = cfg.MaxAttempts
		}
	}
	return s
}

// Latest returns the newest version of key, or an error wrapping
// [ErrNotFound].
func (s *Store) Latest(ctx context.Context, key Key) (Version, error) {
	if err := key.Validate(); err != nil {
		return Version{}, err
	}
	v, err := s.d.Latest(ctx, key)
	if err != nil {
		return Version{}, wrapOnce("latest", key, err)
	}
	return v, nil
}

// Get returns version n of key, or an error wrapping [ErrNotFound].
func (s *Store) Get(ctx context.Context, key Key, n int64) (Version, error) {
	if err := key.Validate(); err != nil {
		return Version{}, err
	}
	if n < 1 {
		return Version{}, fmt.Errorf("%w: %s version %d (versions count from 1)", ErrNotFound, key, n)
	}
	v, err := s.d.Get(ctx, key, n)
	if err != nil {
		return Version{}, wrapOnce("get", key, err)
	}
	return v, nil
}

// History returns up to limit versions of key, newest first (limit <= 0:
// all).
func (s *Store) History(ctx context.Context, key Key, limit int) ([]Version, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	vs, err := s.d.List(ctx, key, limit)
	if err != nil {
		return nil, wrapOnce("history", key, err)
	}
	return vs, nil
}

// Objects lists the tenant's keys that have versions.
func (s *Store) Objects(ctx context.Context, tenant tenancy.ID) ([]Key, error) {
	if tenant.IsZero() {
		return nil, fmt.Errorf("%w: no tenant", ErrInvalidKey)
	}
	ks, err := s.d.Objects(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("drift: objects of %s: %w", tenant, err)
	}
	return ks, nil
}

// Record appends schema as the next version of the key (tenant,
// schema.ConnectionID, schema.Object), whatever the latest version is,
// and returns it. It retries when another writer appends first.
func (s *Store) Record(ctx context.Context, tenant tenancy.ID, schema *Schema) (Version, error) {
	key, err := s.check(tenant, schema)
	if err != nil {
		return Version{}, err
	}
	for range s.maxAttempts {
		prev, err := s.latestNumber(ctx, key)
		if err != nil {
			return Version{}, err
		}
		v, err := s.appendAfter(ctx, key, prev, schema, s.now())
		if errors.Is(err, ErrConflict) {
			continue
		}
		return v, err
	}
	return Version{}, fmt.Errorf("drift: record %s: %w after %d attempts", key, ErrConflict, s.maxAttempts)
}

func (s *Store) check(tenant tenancy.ID, schema *Schema) (Key, error) {
	if err := schema.Validate(); err != nil {
		return Key{}, err
	}
	key := KeyOf(tenant, schema)
	return key, key.Validate()
}

func (s *Store) latestNumber(ctx context.Context, key Key) (int64, error) {
	v, err := s.d.Latest(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, wrapOnce("latest", key, err)
	}
	return v.Number, nil
}

// appendAfter appends schema as version prev+1; ErrConflict comes back
// unwrapped-by-context so callers can retry.
func (s *Store) appendAfter(ctx context.Context, key Key, prev int64, schema *Schema, at time.Time) (Version, error) {
	v := Version{
		Number:          prev + 1,
		Schema:          schema.Clone(),
		Fingerprint:     Fingerprint(schema),
		TypeFingerprint: TypeFingerprint(schema),
		RecordedAt:      at.UTC(),
	}
	if err := s.d.Append(ctx, key, prev, v); err != nil {
		return Version{}, wrapOnce("append", key, err)
	}
	return v, nil
}

// wrapOnce adds the operation and key to a driver error, leaving context
// errors as they are.
func wrapOnce(op string, key Key, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("drift: %s %s: %w", op, key, err)
}
