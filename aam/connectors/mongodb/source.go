package mongodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Source is a MongoDB database as an [aam.Connector]: its collections
// are the objects. It holds one driver client; it is safe for
// concurrent use.
type Source struct {
	aam.UnimplementedConnector
	cfg     Config
	client  *mongo.Client
	db      *mongo.Database
	target  string // hosts and database, no credentials
	secrets []string
	closed  atomic.Bool
}

var _ aam.Connector = (*Source)(nil)

// New returns a Source for cfg. It sets up the client, which connects
// lazily: [Source.Check] reaches the deployment. A URI the driver
// rejects is a [*aam.ConfigError] that does not quote it.
func New(cfg *Config) (*Source, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Source{cfg: c, target: uriHosts(c.URI) + "/" + c.Database, secrets: uriSecrets(c.URI)}
	opts := options.Client().ApplyURI(c.URI).SetServerSelectionTimeout(c.ServerSelectionTimeout)
	if c.Dial != nil {
		opts.SetDialer(contextDialer(c.Dial))
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, &aam.ConfigError{Kind: Kind, Field: "uri", Reason: "rejected by the driver", Err: s.redact(err)}
	}
	s.client = client
	s.db = client.Database(c.Database)
	return s, nil
}

// uriSecrets returns the URI and its password, to scrub from errors.
func uriSecrets(uri string) []string {
	out := []string{uri}
	_, rest, _ := strings.Cut(uri, "://")
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		if _, pw, ok := strings.Cut(rest[:i], ":"); ok && pw != "" {
			out = append(out, pw)
		}
	}
	return out
}

// redact returns err with the URI and password removed from its text;
// it unwraps only to the context's errors, never to the driver's error.
func (s *Source) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, sec := range s.secrets {
		msg = strings.ReplaceAll(msg, sec, "[redacted]")
	}
	re := &redactedError{msg: msg}
	switch {
	case errors.Is(err, context.Canceled):
		re.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		re.cause = context.DeadlineExceeded
	}
	return re
}

func (s *Source) fail(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return &aam.UnavailableError{Kind: Kind, Target: s.target, Reason: "cannot " + what, Err: s.redact(err)}
}

// Check pings the deployment and lists the database's collections,
// which needs the listCollections privilege that reads rely on.
func (s *Source) Check(ctx context.Context) error {
	if s.closed.Load() {
		return aam.ErrClosed
	}
	if err := s.client.Ping(ctx, nil); err != nil {
		return s.fail(ctx, "ping", err)
	}
	names, err := s.collections(ctx)
	if err != nil {
		return err
	}
	for _, want := range s.cfg.Collections {
		if !slices.Contains(names, want) {
			return &aam.UnavailableError{Kind: Kind, Target: s.target, Reason: fmt.Sprintf("no collection %q", want)}
		}
	}
	return nil
}

// collections lists the database's collections (not views, not
// system.*), sorted, filtered by Config.Collections.
func (s *Source) collections(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{{Key: "type", Value: "collection"}})
	if err != nil {
		return nil, s.fail(ctx, "list collections", err)
	}
	out := names[:0]
	for _, n := range names {
		if strings.HasPrefix(n, "system.") {
			continue
		}
		if len(s.cfg.Collections) > 0 && !slices.Contains(s.cfg.Collections, n) {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// Discover lists the collections, each with a schema inferred by
// drift's Inferrer from its newest SampleSize documents (by _id, so the
// same data gives the same schema), flattened as reads flatten them.
func (s *Source) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if s.closed.Load() {
		return nil, aam.ErrClosed
	}
	names, err := s.collections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]aam.ObjectInfo, 0, len(names))
	for _, name := range names {
		in := drift.NewInferrer(s.cfg.System, name, nil)
		opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(s.cfg.SampleSize))
		cur, err := s.db.Collection(name).Find(ctx, bson.D{}, opts)
		if err != nil {
			return nil, s.fail(ctx, "sample "+name, err)
		}
		for cur.Next(ctx) {
			if rec, err := Flatten(cur.Current); err == nil {
				in.Add(rec)
			}
		}
		err = cur.Err()
		cur.Close(context.WithoutCancel(ctx))
		if err != nil {
			return nil, s.fail(ctx, "sample "+name, err)
		}
		out = append(out, aam.ObjectInfo{Name: name, Schema: InferSchema(in), Inferred: true})
	}
	return out, nil
}

// InferSchema returns in's schema with _id as the primary key when the
// sample had it.
func InferSchema(in *drift.Inferrer) *drift.Schema {
	sch := in.Schema()
	if _, ok := sch.Field("_id"); ok {
		sch.PrimaryKey = []string{"_id"}
	}
	return sch
}

// Close disconnects the client. It is idempotent.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.redactNil(s.client.Disconnect(context.Background()))
}

func (s *Source) redactNil(err error) error {
	if err == nil || errors.Is(err, mongo.ErrClientDisconnected) {
		return nil
	}
	return s.redact(err)
}

// rawValue is a BSON value in a cursor: its type and bytes, so that any
// _id or update-time type round-trips exactly.
type rawValue struct {
	T byte   `json:"t"`
	B string `json:"b"` // base64
}

func toRaw(v bson.RawValue) rawValue {
	return rawValue{T: byte(v.Type), B: base64.StdEncoding.EncodeToString(v.Value)}
}

func (r *rawValue) value() (bson.RawValue, error) {
	b, err := base64.StdEncoding.DecodeString(r.B)
	if err != nil {
		return bson.RawValue{}, err
	}
	v := bson.RawValue{Type: bson.Type(r.T), Value: b}
	if err := v.Validate(); err != nil {
		return bson.RawValue{}, err
	}
	return v, nil
}

// cursor is the JSON form of an [aam.Cursor] of this connector: the
// last document's _id and, when reading by an update field, the field's
// name and value there.
type cursor struct {
	V     int       `json:"v"`
	Field string    `json:"f,omitempty"`
	At    *rawValue `json:"at,omitempty"`
	ID    *rawValue `json:"id"`
}

// position is a decoded cursor.
type position struct {
	at, id bson.RawValue
}

func decodeCursor(cur aam.Cursor, field string) (*position, error) {
	if cur == "" {
		return nil, nil
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(cur)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.V != 1 || c.ID == nil {
		return nil, fmt.Errorf("%w: not a mongodb cursor", aam.ErrInvalidCursor)
	}
	if c.Field != field || (field != "") != (c.At != nil) {
		return nil, fmt.Errorf("%w: written for another update field (%q, now %q)", aam.ErrInvalidCursor, c.Field, field)
	}
	var p position
	var err error
	if p.id, err = c.ID.value(); err != nil {
		return nil, fmt.Errorf("%w: bad _id: %v", aam.ErrInvalidCursor, err)
	}
	if c.At != nil {
		if p.at, err = c.At.value(); err != nil {
			return nil, fmt.Errorf("%w: bad %s: %v", aam.ErrInvalidCursor, field, err)
		}
	}
	return &p, nil
}

func encodeCursor(field string, p *position) aam.Cursor {
	id := toRaw(p.id)
	c := cursor{V: 1, Field: field, ID: &id}
	if field != "" {
		at := toRaw(p.at)
		c.At = &at
	}
	b, _ := json.Marshal(c)
	return aam.Cursor(b)
}

// query returns the filter and sort of the page after p: ascending _id,
// or ascending update field then _id. A read by update field skips
// documents where the field is missing or null (MongoDB's comparisons
// only match values of the same type, so they could never be passed).
func query(field string, p *position) (filter, sort bson.D) {
	if field == "" {
		sort = bson.D{{Key: "_id", Value: 1}}
		if p == nil {
			return bson.D{}, sort
		}
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: p.id}}}}, sort
	}
	sort = bson.D{{Key: field, Value: 1}, {Key: "_id", Value: 1}}
	if p == nil {
		return bson.D{{Key: field, Value: bson.D{{Key: "$ne", Value: nil}}}}, sort
	}
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: field, Value: bson.D{{Key: "$gt", Value: p.at}}}},
		bson.D{{Key: field, Value: p.at}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: p.id}}}},
	}}}, sort
}

// Read reads a collection in batches of BatchSize documents, one keyset
// query per batch (see [Config.UpdateFields] for the order). Each
// document is flattened ([Flatten]); one that cannot be is a row error
// naming its _id, and the read goes on. Reads by _id assume one _id
// type per collection (ObjectIDs, usually): MongoDB compares only
// values of the same type.
func (s *Source) Read(ctx context.Context, object string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		if s.closed.Load() {
			yield(nil, aam.ErrClosed)
			return
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		names, err := s.collections(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		if !slices.Contains(names, object) {
			yield(nil, fmt.Errorf("%w: collection %q in database %q", aam.ErrUnknownObject, object, s.cfg.Database))
			return
		}
		field := s.cfg.UpdateFields[object]
		pos, err := decodeCursor(cur, field)
		if err != nil {
			yield(nil, err)
			return
		}
		coll := s.db.Collection(object)
		for {
			if s.closed.Load() {
				yield(nil, aam.ErrClosed)
				return
			}
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			b, last, err := s.page(ctx, coll, object, field, pos)
			if err != nil {
				yield(nil, err)
				return
			}
			if b.Len() == 0 {
				return
			}
			b.Cursor = encodeCursor(field, last)
			if !yield(b, nil) {
				return
			}
			if b.Len() < s.cfg.BatchSize {
				return
			}
			pos = last
		}
	}
}

func (s *Source) page(ctx context.Context, coll *mongo.Collection, object, field string, pos *position) (*aam.Batch, *position, error) {
	filter, sort := query(field, pos)
	opts := options.Find().SetSort(sort).SetLimit(int64(s.cfg.BatchSize)).SetBatchSize(int32(min(s.cfg.BatchSize, 1<<20)))
	c, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, nil, s.fail(ctx, "read "+object, err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	b := &aam.Batch{Object: object}
	var last *position
	for c.Next(ctx) {
		doc := c.Current
		id := doc.Lookup("_id")
		p := &position{id: bson.RawValue{Type: id.Type, Value: slices.Clone(id.Value)}}
		if field != "" {
			at := doc.Lookup(strings.Split(field, ".")...)
			p.at = bson.RawValue{Type: at.Type, Value: slices.Clone(at.Value)}
		}
		last = p
		rec, err := Flatten(doc)
		if err != nil {
			idText, _ := Convert(id)
			b.Errors = append(b.Errors, &aam.RowError{File: fmt.Sprintf("%s _id %v", object, idText), Offset: -1,
				Err: fmt.Errorf("%w: %v", aam.ErrMalformedRecord, err)})
			continue
		}
		b.Records = append(b.Records, aam.Record{Fields: rec})
	}
	if err := c.Err(); err != nil {
		return nil, nil, s.fail(ctx, "read "+object, err)
	}
	return b, last, nil
}
