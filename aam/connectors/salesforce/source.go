package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Source is a [aam.Connector] over the sObjects of one Salesforce org,
// read through the REST API. It is safe for concurrent use. It caches
// the access token and each object's describe; Close drops them and
// closes the idle connections of the HTTP client. The zero value is not
// usable; use [New] or aam.Open("salesforce", ...).
type Source struct {
	aam.UnimplementedConnector
	cfg    Config
	c      *client
	closed atomic.Bool

	mu        sync.Mutex
	described map[string]*object
}

var _ aam.Connector = (*Source)(nil)

// New returns a Source with cfg. It does not reach Salesforce
// ([Source.Check] does). An invalid cfg yields an error matching
// [aam.ErrInvalidConfig] that names the field and never its value.
func New(cfg *Config) (*Source, error) {
	c := cfg.WithDefaults()
	key, err := c.validate()
	if err != nil {
		return nil, err
	}
	c.LoginURL = strings.TrimRight(c.LoginURL, "/")
	log := c.Logger.With("connector", Kind)
	return &Source{
		cfg:       c,
		c:         &client{cfg: c, key: key, log: log},
		described: make(map[string]*object),
	}, nil
}

func (s *Source) data() string { return "/services/data/" + s.cfg.APIVersion }

func (s *Source) target() string {
	if u, err := url.Parse(s.cfg.LoginURL); err == nil {
		return u.Host
	}
	return "salesforce"
}

// Check gets an access token and asks the API for its resources. A
// failure is an [*aam.UnavailableError] whose cause is a [*TokenError],
// an [*APIError] or a transport error.
func (s *Source) Check(ctx context.Context) error {
	if s.closed.Load() {
		return aam.ErrClosed
	}
	if _, err := s.c.token(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &aam.UnavailableError{Kind: Kind, Target: s.target(), Reason: "cannot get an access token", Err: err}
	}
	var resources map[string]any
	if err := s.c.getJSON(ctx, s.data()+"/", nil, &resources); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &aam.UnavailableError{Kind: Kind, Target: s.target(), Reason: "the REST API refused", Err: err}
	}
	if _, ok := resources["sobjects"]; !ok {
		return &aam.UnavailableError{Kind: Kind, Target: s.target(), Reason: "API version " + s.cfg.APIVersion + " lists no sobjects resource"}
	}
	return nil
}

// sobjectsList is the body of GET /services/data/vXX.X/sobjects/.
type sobjectsList struct {
	SObjects []struct {
		Name                string `json:"name"`
		Queryable           bool   `json:"queryable"`
		Replicateable       bool   `json:"replicateable"`
		DeprecatedAndHidden bool   `json:"deprecatedAndHidden"`
	} `json:"sobjects"`
}

// describeResult is the part of an sObject describe that is used.
type describeResult struct {
	Name      string `json:"name"`
	Queryable bool   `json:"queryable"`
	Fields    []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Nillable bool   `json:"nillable"`
	} `json:"fields"`
}

// object is a described sObject: its schema and its query plan.
type object struct {
	schema   *drift.Schema
	fields   []string // the SELECT list
	modstamp bool     // has SystemModstamp: incremental by it
	// expand maps a relationship prefix ("Account") to the paths under
	// it, so that a null parent yields null paths.
	expand map[string][]string
}

// objectNames returns the objects Discover lists.
func (s *Source) objectNames(ctx context.Context) ([]string, error) {
	if len(s.cfg.Objects) > 0 {
		return s.cfg.Objects, nil
	}
	var l sobjectsList
	if err := s.c.getJSON(ctx, s.data()+"/sobjects/", nil, &l); err != nil {
		return nil, err
	}
	var names []string
	for _, o := range l.SObjects {
		if o.Queryable && o.Replicateable && !o.DeprecatedAndHidden && nameRE.MatchString(o.Name) {
			names = append(names, o.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Discover describes each object (see [Config.Objects]) and maps its
// fields to a [drift.Schema]; the primary key is Id. See [FieldType] for
// the type mapping.
func (s *Source) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if s.closed.Load() {
		return nil, aam.ErrClosed
	}
	names, err := s.objectNames(ctx)
	if err != nil {
		return nil, err
	}
	infos := make([]aam.ObjectInfo, 0, len(names))
	for _, name := range names {
		o, err := s.describe(ctx, name)
		if err != nil {
			return nil, err
		}
		infos = append(infos, aam.ObjectInfo{Name: name, Schema: o.schema.Clone()})
	}
	return infos, nil
}

// describe fetches and caches the describe of name.
func (s *Source) describe(ctx context.Context, name string) (*object, error) {
	var d describeResult
	err := s.c.getJSON(ctx, s.data()+"/sobjects/"+name+"/describe", nil, &d)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %q: %w", aam.ErrUnknownObject, name, err)
	}
	if err != nil {
		return nil, err
	}
	o, err := s.plan(name, &d)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.described[name] = o
	s.mu.Unlock()
	return o, nil
}

// FieldType maps a Salesforce field type (as describe reports it) to a
// drift type: id, string, picklist, multipicklist, combobox, textarea,
// url, email, phone, reference, encryptedstring, time, base64 and
// anyType are strings; int and long are integers; double, currency and
// percent are numbers; boolean; date; datetime is a timestamp; address
// and location (compound fields) are objects. Unknown types are strings.
func FieldType(sfType string) drift.FieldType {
	switch sfType {
	case "int", "long":
		return drift.TypeInteger
	case "double", "currency", "percent":
		return drift.TypeNumber
	case "boolean":
		return drift.TypeBoolean
	case "date":
		return drift.TypeDate
	case "datetime":
		return drift.TypeTimestamp
	case "address", "location":
		return drift.TypeObject
	}
	return drift.TypeString
}

// plan turns a describe into a schema and a query plan. base64 fields
// are left out: the query API returns them only as URLs.
func (s *Source) plan(name string, d *describeResult) (*object, error) {
	o := &object{
		schema: &drift.Schema{System: Kind, Object: name},
		expand: map[string][]string{},
	}
	hasID := false
	only := s.cfg.Fields[name]
	for _, f := range d.Fields {
		if f.Type == "base64" || !nameRE.MatchString(f.Name) {
			continue
		}
		if len(only) > 0 && f.Name != "Id" && f.Name != "SystemModstamp" && !slices.Contains(only, f.Name) {
			continue
		}
		nullable := f.Nillable
		switch f.Name {
		case "Id":
			hasID, nullable = true, false
		case "SystemModstamp":
			o.modstamp = true
		}
		o.schema.Fields = append(o.schema.Fields, drift.Field{Name: f.Name, Type: FieldType(f.Type), Nullable: nullable})
		o.fields = append(o.fields, f.Name)
	}
	if !hasID {
		return nil, fmt.Errorf("salesforce: object %q has no Id field: it cannot be read incrementally", name)
	}
	o.schema.PrimaryKey = []string{"Id"}
	for _, p := range s.cfg.Relationships[name] {
		if _, dup := o.schema.Field(p); dup {
			continue
		}
		o.schema.Fields = append(o.schema.Fields, drift.Field{Name: p, Type: drift.TypeString, Nullable: true})
		o.fields = append(o.fields, p)
		parts := strings.Split(p, ".")
		for i := 1; i < len(parts); i++ {
			pre := strings.Join(parts[:i], ".")
			o.expand[pre] = append(o.expand[pre], p)
		}
	}
	return o, nil
}

// Close drops the cached token and describes and closes idle
// connections; it is idempotent. Reads in progress stop at their next
// page.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.c.mu.Lock()
	s.c.tok = nil
	s.c.mu.Unlock()
	s.mu.Lock()
	clear(s.described)
	s.mu.Unlock()
	s.cfg.HTTPClient.CloseIdleConnections()
	return nil
}

// cursor is the position of a read: the SystemModstamp and Id of the
// last record read (Id alone for objects without SystemModstamp).
type cursor struct {
	V  int    `json:"v"`
	TS string `json:"ts,omitempty"` // UTC, millisecond precision, SOQL literal form
	ID string `json:"id"`
}

// maxURI is the REST API's limit on a request URI.
const maxURI = 16384

// validID reports whether s is a 15- or 18-character Salesforce id.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

const soqlTime = "2006-01-02T15:04:05.000Z"

func (c cursor) encode() aam.Cursor {
	b, _ := json.Marshal(c) // plain strings always marshal
	return aam.Cursor(b)
}

func decodeCursor(cur aam.Cursor) (cursor, error) {
	if cur == "" {
		return cursor{}, nil
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(cur)))
	dec.DisallowUnknownFields()
	// The empty id is the beginning, written after a first page of
	// nothing but row errors.
	if err := dec.Decode(&c); err != nil || c.V != 1 || (c.ID != "" && !validID(c.ID)) || (c.ID == "" && c.TS != "") {
		return cursor{}, fmt.Errorf("%w: not a %s cursor", aam.ErrInvalidCursor, Kind)
	}
	if c.TS != "" {
		if _, err := time.Parse(soqlTime, c.TS); err != nil {
			return cursor{}, fmt.Errorf("%w: not a %s cursor: bad timestamp", aam.ErrInvalidCursor, Kind)
		}
	}
	return c, nil
}

// parseModstamp parses a datetime as the API returns it
// ("2024-01-15T10:30:00.000+0000") into the cursor's form.
func parseModstamp(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(soqlTime), true
		}
	}
	return "", false
}

// query returns the SOQL query of o after c.
func (o *object) query(c cursor) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(o.fields, ", "))
	b.WriteString(" FROM ")
	b.WriteString(o.schema.Object)
	if c.ID != "" {
		// The cursor was validated: the id is alphanumeric and the
		// timestamp a parsed literal, so nothing needs quoting.
		if o.modstamp && c.TS != "" {
			fmt.Fprintf(&b, " WHERE SystemModstamp > %s OR (SystemModstamp = %s AND Id > '%s')", c.TS, c.TS, c.ID)
		} else {
			fmt.Fprintf(&b, " WHERE Id > '%s'", c.ID)
		}
	}
	if o.modstamp {
		b.WriteString(" ORDER BY SystemModstamp, Id")
	} else {
		b.WriteString(" ORDER BY Id")
	}
	return b.String()
}

// queryResult is one page of a SOQL query.
type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// Read queries object's records after cur, ordered by SystemModstamp
// then Id (by Id alone when the object has no SystemModstamp), one
// batch per query page, following nextRecordsUrl. Records are flattened
// (see [Flatten]); numbers are json.Number. Each batch's cursor is the
// SystemModstamp and Id of its last record, so a resumed read neither
// repeats nor skips a record, and a read from the last cursor yields
// what changed since. See [aam.Connector.Read].
func (s *Source) Read(ctx context.Context, name string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		if s.closed.Load() {
			yield(nil, aam.ErrClosed)
			return
		}
		c, err := decodeCursor(cur)
		if err != nil {
			yield(nil, err)
			return
		}
		if !nameRE.MatchString(name) || (len(s.cfg.Objects) > 0 && !slices.Contains(s.cfg.Objects, name)) {
			yield(nil, fmt.Errorf("%w: %q", aam.ErrUnknownObject, name))
			return
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		s.mu.Lock()
		o := s.described[name]
		s.mu.Unlock()
		if o == nil {
			if o, err = s.describe(ctx, name); err != nil {
				yield(nil, err)
				return
			}
		}
		if c.TS != "" && !o.modstamp {
			yield(nil, fmt.Errorf("%w: object %q has no SystemModstamp", aam.ErrInvalidCursor, name))
			return
		}
		hdr := http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(s.cfg.BatchSize)}}
		next := s.data() + "/query?q=" + url.QueryEscape(o.query(c))
		// The instance's scheme and host come before it.
		if len(next) > maxURI-300 {
			yield(nil, fmt.Errorf("salesforce: the query of %q is %d bytes long, near the REST API's %d-byte URI limit: list fewer fields in Config.Fields", name, len(next), maxURI))
			return
		}
		restarted := false
		for next != "" {
			if s.closed.Load() {
				yield(nil, aam.ErrClosed)
				return
			}
			var page queryResult
			err := s.c.getJSON(ctx, next, hdr, &page)
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == "INVALID_QUERY_LOCATOR" && !restarted && !strings.Contains(next, "/query?") {
				// The query's locator expired (they live about 15
				// minutes): query again from the last record read.
				s.c.log.InfoContext(ctx, "salesforce: query locator expired, querying again from the cursor", "object", name)
				restarted = true
				next = s.data() + "/query?q=" + url.QueryEscape(o.query(c))
				continue
			}
			if err != nil {
				yield(nil, err)
				return
			}
			restarted = false
			next = ""
			if !page.Done {
				if !strings.HasPrefix(page.NextRecordsURL, "/services/data/") {
					yield(nil, fmt.Errorf("salesforce: query of %q: page not done and no valid nextRecordsUrl", name))
					return
				}
				next = page.NextRecordsURL
			}
			if len(page.Records) == 0 {
				continue
			}
			b := &aam.Batch{Object: name, Records: make([]aam.Record, 0, len(page.Records))}
			for _, r := range page.Records {
				id, _ := r["Id"].(string)
				ts, tsOK := parseModstamp(r["SystemModstamp"])
				if !validID(id) || (o.modstamp && !tsOK) {
					b.Errors = append(b.Errors, &aam.RowError{File: name, Offset: -1,
						Err: fmt.Errorf("%w: record without a valid Id or SystemModstamp", aam.ErrMalformedRecord)})
					continue
				}
				if o.modstamp {
					c = cursor{V: 1, TS: ts, ID: id}
				} else {
					c = cursor{V: 1, ID: id}
				}
				b.Records = append(b.Records, aam.Record{Fields: o.flatten(r)})
			}
			// With only row errors and no earlier record, c is the
			// beginning: {"v":1,"id":""}.
			c.V = 1
			b.Cursor = c.encode()
			if !yield(b, nil) {
				return
			}
		}
	}
}

// flatten flattens a record and turns a null parent of a configured
// relationship path into null paths.
func (o *object) flatten(r map[string]any) map[string]any {
	out := Flatten(r)
	for pre, paths := range o.expand {
		v, ok := out[pre]
		if !ok || v != nil {
			continue
		}
		delete(out, pre)
		for _, p := range paths {
			if _, set := out[p]; !set {
				out[p] = nil
			}
		}
	}
	for _, f := range o.fields {
		if _, ok := out[f]; !ok && strings.Contains(f, ".") {
			out[f] = nil
		}
	}
	return out
}

// Flatten returns a Salesforce record as one level of fields: the
// "attributes" of the record and of nested objects are dropped, and a
// nested object (a parent relationship, a compound address) becomes
// dotted paths: {"Account": {"Name": "Acme"}} is {"Account.Name":
// "Acme"}. An empty nested object is kept as the empty map, and arrays
// and child-relationship results are kept as they are.
func Flatten(r map[string]any) map[string]any {
	out := make(map[string]any, len(r))
	flattenInto(out, "", r)
	return out
}

func flattenInto(out map[string]any, prefix string, m map[string]any) {
	for k, v := range m {
		if k == "attributes" {
			continue
		}
		if sub, ok := v.(map[string]any); ok && !isQueryResult(sub) {
			if len(sub) == 0 || (len(sub) == 1 && sub["attributes"] != nil) {
				out[prefix+k] = map[string]any{}
				continue
			}
			flattenInto(out, prefix+k+".", sub)
			continue
		}
		out[prefix+k] = v
	}
}

// isQueryResult reports whether m is a nested query result (a child
// relationship): it has records and done.
func isQueryResult(m map[string]any) bool {
	_, r := m["records"]
	_, d := m["done"]
	return r && d
}

// String names the source by its login host; it never shows a secret
// or token, which fmt would print from the unexported fields otherwise.
func (s *Source) String() string { return "salesforce.Source(" + s.target() + ")" }

// GoString is String, for %#v.
func (s *Source) GoString() string { return s.String() }

// Format prints String for every verb, so %+v hides the secrets too.
func (s *Source) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(s.String())) }
