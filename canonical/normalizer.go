package canonical

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a [Normalizer]. The zero value is usable; a nil
// *Config means the zero value.
type Config struct {
	// Ontology holds the entities and fields that mapping targets name.
	// Defaults to [V1].
	Ontology *Ontology
	// Locale says how to read dates, amounts, phone numbers and currency
	// signs of this source. Defaults to the zero Locale, which reads only
	// what has a single reading.
	Locale Locale
	// Key lists the source fields whose values form the source key of an
	// entity whose id field is not mapped (several are joined with "|").
	// Defaults to none: such an entity then has no key and its records
	// are rejected with a [*MissingKeyError].
	Key []string
	// PercentScales gives the scale of percent fields, by target
	// ("opportunity.probability"). A field without one is read with
	// [ScaleAuto] until [Normalizer.Calibrate] decides it. Defaults to none.
	PercentScales map[string]PercentScale
	// SchemaFingerprint is the drift fingerprint of the source object's
	// schema, copied onto every event. Defaults to "".
	SchemaFingerprint string
	// Now returns the current time for the events' IngestedAt.
	// Defaults to time.Now.
	Now func() time.Time
}

// Record is one raw source record.
type Record struct {
	// Fields holds the record's values by source field name, as decoded
	// from JSON (with or without UseNumber), Mongo or a driver: nested
	// maps are reached through dotted mapping sources
	// ("CustomerRef.value"), and a list element through its index
	// ("Emails.0.address").
	Fields map[string]any
	// Op is what happened to the record. Defaults to OpUpsert.
	Op Op
	// Ref names the record in errors ("row 17", "offset 4411"). Defaults
	// to "record".
	Ref string
}

// Normalizer turns raw records of one source object into canonical
// events, following a [Mapping]. It compiles the mapping once into a
// plan, so that normalizing a record of plain Go values (those JSON
// decoding gives, and time.Time) does no reflection, no regular
// expression and no formatting through fmt, and allocates little beyond
// the event, its Data map and its values. Values of other named types
// (a driver's DateTime, bson.M) are read through reflection.
//
// A Normalizer is safe for concurrent use, [Normalizer.Calibrate]
// included. It holds no resources and needs no closing.
type Normalizer struct {
	tenant   tenancy.ID
	src      Source
	cfg      Config
	entities []*planEntity
	keyPaths []fieldPath
	rowCache atomic.Pointer[rowIndex]
}

type fieldPath struct {
	source string
	path   []string // the dotted source split, when it has dots
}

type planField struct {
	fieldPath
	name   string // canonical field name
	target string
	typ    ValueType
	fn     normFunc
	strFn  strFunc       // fn for a value given as text, unboxed
	col    int           // position in the plan, for row lookups
	scale  atomic.Uint32 // PercentScale
	pinned bool          // the scale came from the Config
}

type planEntity struct {
	name      string
	fields    []*planField // sorted by canonical name
	idField   *planField
	updated   *planField
	country   *planField
	hasPhone  bool
	entityKey string
	dataSize  int // the size of a full Data map
}

// NewNormalizer compiles m for records of src owned by tenant. Every
// mapped target must name a field of cfg's ontology, and no two source
// fields may map to one target. It returns an error wrapping
// [ErrInvalidMapping] or [ErrUnknownTarget] otherwise.
func NewNormalizer(tenant tenancy.ID, src Source, m *Mapping, cfg *Config) (*Normalizer, error) {
	if err := tenant.Validate(); err != nil {
		return nil, fmt.Errorf("canonical: new normalizer: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: nil mapping", ErrInvalidMapping)
	}
	n := &Normalizer{tenant: tenant, src: src}
	if cfg != nil {
		n.cfg = *cfg
	}
	if n.cfg.Ontology == nil {
		n.cfg.Ontology = V1()
	}
	if n.cfg.Now == nil {
		n.cfg.Now = time.Now
	}
	if r := n.cfg.Locale.DecimalSeparator; r != 0 && r != '.' && r != ',' {
		return nil, fmt.Errorf("%w: decimal separator %q is neither '.' nor ','", ErrInvalidConfig, r)
	}
	if r := n.cfg.Locale.Region; r != "" {
		up := strings.ToUpper(r)
		if countryByCode[up] != up || len(up) != 2 {
			return nil, fmt.Errorf("%w: region %q is not an ISO 3166-1 alpha-2 code", ErrInvalidConfig, r)
		}
		n.cfg.Locale.Region = up
	}
	if n.src.System == "" {
		n.src.System = m.System
	}
	if n.src.Object == "" {
		n.src.Object = m.Object
	}
	byEntity := map[string]*planEntity{}
	seen := map[string]string{}
	col := 0
	for _, fm := range m.Fields {
		if fm.Target == "" {
			continue
		}
		if fm.Source == "" {
			return nil, fmt.Errorf("%w: target %s has no source field", ErrInvalidMapping, fm.Target)
		}
		f, err := n.cfg.Ontology.Lookup(fm.Target)
		if err != nil {
			return nil, fmt.Errorf("canonical: mapping %s.%s field %s: %w", m.System, m.Object, fm.Source, err)
		}
		if prev, dup := seen[fm.Target]; dup {
			return nil, fmt.Errorf("%w: %s and %s both map to %s", ErrInvalidMapping, prev, fm.Source, fm.Target)
		}
		seen[fm.Target] = fm.Source
		pe := byEntity[f.Entity]
		if pe == nil {
			pe = &planEntity{name: f.Entity}
			byEntity[f.Entity] = pe
			n.entities = append(n.entities, pe)
		}
		pf := &planField{fieldPath: newPath(fm.Source), name: f.Name, target: fm.Target, typ: f.Type, fn: normFuncs[f.Type], strFn: strFuncs[f.Type], col: col}
		col++
		if s, ok := n.cfg.PercentScales[fm.Target]; ok {
			pf.scale.Store(uint32(s))
			pf.pinned = true
		}
		pe.fields = append(pe.fields, pf)
	}
	if len(n.entities) == 0 {
		return nil, fmt.Errorf("%w: %s.%s maps no field", ErrInvalidMapping, m.System, m.Object)
	}
	for _, k := range n.cfg.Key {
		n.keyPaths = append(n.keyPaths, newPath(k))
	}
	slices.SortFunc(n.entities, func(a, b *planEntity) int { return strings.Compare(a.name, b.name) })
	for _, pe := range n.entities {
		slices.SortFunc(pe.fields, func(a, b *planField) int { return strings.Compare(a.name, b.name) })
		for _, pf := range pe.fields {
			switch {
			case pf.name == "id":
				pe.idField = pf
			case pf.name == "updated_at" && pf.typ == TypeTimestamp:
				pe.updated = pf
			case pf.typ == TypeCountry && (pe.country == nil || pf.name == "country"):
				pe.country = pf
			case pf.typ == TypePhone:
				pe.hasPhone = true
			}
		}
		if pe.idField == nil && len(n.keyPaths) == 0 {
			return nil, fmt.Errorf("%w: %s.%s maps no field to %s.id and the config declares no key",
				ErrInvalidMapping, m.System, m.Object, pe.name)
		}
		pe.entityKey = pe.name
		pe.dataSize = len(pe.fields)
		if pe.idField == nil {
			pe.dataSize++ // the declared key goes in as id
		}
	}
	return n, nil
}

func newPath(source string) fieldPath {
	p := fieldPath{source: source}
	if strings.Contains(source, ".") {
		p.path = strings.Split(source, ".")
	}
	return p
}

// WithSchemaFingerprint returns a Normalizer that shares n's plan and
// stamps fp on its events: a drift that keeps the mapping valid does not
// need a new plan.
func (n *Normalizer) WithSchemaFingerprint(fp string) *Normalizer {
	c := &Normalizer{tenant: n.tenant, src: n.src, cfg: n.cfg, entities: n.entities, keyPaths: n.keyPaths}
	c.cfg.SchemaFingerprint = fp
	return c
}

// Source returns the source the events name.
func (n *Normalizer) Source() Source { return n.src }

// Entities returns the names of the entities n makes events for.
func (n *Normalizer) Entities() []string {
	out := make([]string, len(n.entities))
	for i, pe := range n.entities {
		out[i] = pe.name
	}
	return out
}

// Calibrate decides the scale of every percent field that the Config
// does not pin, from a sample of records (see [InferPercentScale]), and
// keeps it for the records normalized afterwards. It returns the scales
// it set, by target. A field whose sample cannot tell keeps its scale.
// Calibrate on the first batch of a sync and again when the schema
// drifts.
func (n *Normalizer) Calibrate(records []map[string]any) map[string]PercentScale {
	out := map[string]PercentScale{}
	for _, pe := range n.entities {
		for _, pf := range pe.fields {
			if pf.typ != TypePercent || pf.pinned {
				continue
			}
			var s percentSample
			for _, rec := range records {
				if v, ok := mapGetter(rec).getPath(&pf.fieldPath); ok {
					s.add(v, &n.cfg.Locale)
				}
			}
			if sc := s.scale(); sc != ScaleAuto {
				pf.scale.Store(uint32(sc))
				out[pf.target] = sc
			}
		}
	}
	return out
}

// Normalize normalizes one record (as from JSON or Mongo) with op upsert.
// See [Normalizer.NormalizeRecord].
func (n *Normalizer) Normalize(fields map[string]any) ([]*Event, error) {
	return n.NormalizeRecord(Record{Fields: fields})
}

// NormalizeRecord returns one event per entity that the mapping targets,
// in entity-name order. A value that cannot be normalized does not stop
// the record: its field is null and a [Problem] names it. A mapped field
// absent from the record is left out of Data; a present null is nil.
//
// It returns a [*MissingKeyError] when an entity's key has no value; the
// record then yields no event.
func (n *Normalizer) NormalizeRecord(r Record) ([]*Event, error) {
	return n.normalize(mapGetter(r.Fields), r.Op, r.Ref)
}

// NormalizeRow normalizes a CSV row: header names the columns, and the
// mapping's sources name header columns. A row shorter than its header
// lacks the missing columns; an empty cell is null. ref names the row in
// errors ("row 17"); empty means "record".
func (n *Normalizer) NormalizeRow(header, row []string, ref string) ([]*Event, error) {
	idx := n.rowIndex(header)
	return n.normalize(rowGetter{idx: idx, row: row}, OpUpsert, ref)
}

// A getter reads a record's raw values. get returns a value either
// boxed in raw, or as text when isText is set (a CSV cell: boxing it
// would cost an allocation that most values do not need).
type getter interface {
	get(p *planField) (raw any, text string, isText, ok bool)
	getPath(p *fieldPath) (any, bool)
}

type mapGetter map[string]any

func (m mapGetter) get(p *planField) (any, string, bool, bool) {
	v, ok := m.getPath(&p.fieldPath)
	return v, "", false, ok
}

func (m mapGetter) getPath(p *fieldPath) (any, bool) {
	if v, ok := m[p.source]; ok {
		return v, true
	}
	if p.path == nil {
		return nil, false
	}
	var cur any = map[string]any(m)
	for _, seg := range p.path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		case nil:
			return nil, true // a null parent: the field is null
		default:
			v, ok, isMap := reflectIndex(c, seg)
			if !isMap || !ok {
				return nil, false
			}
			cur = v
		}
	}
	return cur, true
}

// reflectIndex indexes a map of another named type with string keys
// (bson.M, map[string]string). It is off the hot path.
func reflectIndex(c any, seg string) (v any, ok, isMap bool) {
	rv := reflect.ValueOf(c)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false, false
	}
	e := rv.MapIndex(reflect.ValueOf(seg).Convert(rv.Type().Key()))
	if !e.IsValid() {
		return nil, false, true
	}
	return e.Interface(), true, true
}

type rowIndex struct {
	header []string
	cols   []int // plan column -> header index, -1 when absent
}

type rowGetter struct {
	idx *rowIndex
	row []string
}

func (g rowGetter) at(i int) (any, bool) {
	if i < 0 || i >= len(g.row) {
		return nil, false
	}
	return g.row[i], true
}

func (g rowGetter) get(p *planField) (any, string, bool, bool) {
	i := g.idx.cols[p.col]
	if i < 0 || i >= len(g.row) {
		return nil, "", false, false
	}
	return nil, g.row[i], true, true
}

func (g rowGetter) getPath(p *fieldPath) (any, bool) {
	for i, h := range g.idx.header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == p.source {
			return g.at(i)
		}
	}
	return nil, false
}

func (n *Normalizer) rowIndex(header []string) *rowIndex {
	if c := n.rowCache.Load(); c != nil && len(c.header) == len(header) &&
		slices.Equal(c.header, header) { // the same strings compare by pointer first
		return c
	}
	ncols := 0
	for _, pe := range n.entities {
		ncols += len(pe.fields)
	}
	idx := &rowIndex{header: slices.Clone(header), cols: make([]int, ncols)} // a copy: callers may reuse their slice
	pos := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // a UTF-8 BOM on the first column
		if _, dup := pos[h]; !dup {
			pos[h] = i
		}
	}
	for _, pe := range n.entities {
		for _, pf := range pe.fields {
			if i, ok := pos[pf.source]; ok {
				idx.cols[pf.col] = i
			} else {
				idx.cols[pf.col] = -1
			}
		}
	}
	n.rowCache.Store(idx)
	return idx
}

// eventIDVersion starts the hashed text of every event id; a change of
// the id recipe changes it.
const eventIDVersion = "canonical.event.v1"

// ctxPool recycles the per-record scratch: the normalizer context and
// the buffer the event id is hashed from.
var ctxPool = sync.Pool{New: func() any { return &normCtx{buf: make([]byte, 0, 512)} }}

// eventAndSlice lets a single-entity record cost one allocation for its
// event and the slice that returns it.
type eventAndSlice struct {
	ev  Event
	arr [1]*Event
}

func (n *Normalizer) normalize(g getter, op Op, ref string) ([]*Event, error) {
	if op == "" {
		op = OpUpsert
	}
	if op != OpUpsert && op != OpDelete {
		return nil, fmt.Errorf("%w: op %q is neither upsert nor delete", ErrInvalidValue, op)
	}
	c := ctxPool.Get().(*normCtx)
	now := n.cfg.Now().UTC()
	var events []*Event
	var err error
	if len(n.entities) == 1 {
		p := &eventAndSlice{}
		if err = n.normalizeEntity(&p.ev, n.entities[0], g, op, ref, now, c); err == nil {
			p.arr[0] = &p.ev
			events = p.arr[:]
		}
	} else {
		evs := make([]Event, len(n.entities))
		events = make([]*Event, len(n.entities))
		for i, pe := range n.entities {
			if err = n.normalizeEntity(&evs[i], pe, g, op, ref, now, c); err != nil {
				events = nil
				break
			}
			events[i] = &evs[i]
		}
	}
	if cap(c.buf) <= 8<<10 {
		*c = normCtx{buf: c.buf[:0]}
		ctxPool.Put(c)
	}
	return events, err
}

func (n *Normalizer) normalizeEntity(ev *Event, pe *planEntity, g getter, op Op, ref string, now time.Time, c *normCtx) error {
	loc := &n.cfg.Locale
	*c = normCtx{loc: loc, region: loc.Region, text: true, buf: c.buf[:0]}
	if pe.hasPhone && pe.country != nil {
		if raw, text, isText, ok := g.get(pe.country); ok {
			var cc normCtx
			var v any
			var reason string
			if isText {
				v, reason = pe.country.strFn(text, nil, &cc)
			} else {
				v, reason = normCountry(raw, &cc)
			}
			if reason == "" {
				c.region = v.(string)
			}
		}
	}
	// ev is fresh from the allocator: set the fields that are not zero.
	ev.Tenant = n.tenant
	ev.Source = n.src
	ev.Entity = pe.name
	ev.Op = op
	ev.SchemaFingerprint = n.cfg.SchemaFingerprint
	ev.IngestedAt = now
	ev.Data = make(map[string]any, pe.dataSize)
	// The hashed text: who, then every field in name order.
	c.buf = append(c.buf, eventIDVersion...)
	c.buf = append(c.buf, 0)
	c.buf = append(c.buf, n.tenant[:]...)
	for _, s := range [...]string{n.src.System, n.src.ConnectionID, n.src.Object, pe.name, string(op)} {
		c.buf = append(c.buf, s...)
		c.buf = append(c.buf, 0)
	}
	var key string
	for _, pf := range pe.fields {
		raw, text, isText, present := g.get(pf)
		if !present {
			continue
		}
		c.buf = append(c.buf, pf.name...)
		c.buf = append(c.buf, 0)
		c.scale = PercentScale(pf.scale.Load())
		c.ambiguous = false
		c.wantTime = pf == pe.updated
		mark := len(c.buf)
		var v any
		var reason string
		if isText {
			v, reason = pf.strFn(text, nil, c)
		} else {
			v, reason = pf.fn(raw, c)
		}
		switch reason {
		case "":
			ev.Data[pf.name] = v
			if pf == pe.idField {
				key = v.(string)
			} else if pf == pe.updated {
				ev.OccurredAt = c.t.UTC()
			}
		case reasonNull:
			ev.Data[pf.name] = nil
			c.buf = append(c.buf[:mark], '~')
		default:
			ev.Data[pf.name] = nil
			rt := text
			if !isText {
				rt = rawText(raw)
			}
			rt = cut(rt, 256)
			if c.ambiguous {
				reason = "ambiguous: " + reason
			}
			ev.Problems = append(ev.Problems, Problem{Field: pf.name, SourceField: pf.source, Raw: rt, Reason: reason})
			c.buf = append(c.buf[:mark], '!')
			c.buf = append(c.buf, rt...)
		}
		c.buf = append(c.buf, 0)
	}
	if key == "" {
		key = n.declaredKey(g)
		if key == "" {
			fields := make([]string, 0, 1+len(n.keyPaths))
			if pe.idField != nil {
				fields = append(fields, pe.idField.source)
			}
			for _, kp := range n.keyPaths {
				fields = append(fields, kp.source)
			}
			if ref == "" {
				ref = "record"
			}
			return &MissingKeyError{Record: ref, Object: n.src.Object, Entity: pe.name, Fields: fields}
		}
		ev.Data["id"] = key
	}
	ev.SourceKey = key
	// The key goes last, length-prefixed, so that it is hashed the same
	// whether it came from the id field or the Config.
	c.buf = append(c.buf, 1)
	c.buf = strconv.AppendInt(c.buf, int64(len(key)), 10)
	c.buf = append(c.buf, ':')
	c.buf = append(c.buf, key...)
	sum := sha256.Sum256(c.buf)
	var hexID [32]byte
	hex.Encode(hexID[:], sum[:16])
	ev.ID = string(hexID[:])
	return nil
}

// declaredKey reads the Config's key fields: their string forms joined
// with "|", or "" when any is null or absent.
func (n *Normalizer) declaredKey(g getter) string {
	if len(n.keyPaths) == 0 {
		return ""
	}
	parts := make([]string, 0, len(n.keyPaths))
	for i := range n.keyPaths {
		raw, ok := g.getPath(&n.keyPaths[i])
		if !ok {
			return ""
		}
		v, reason := normString(raw, &normCtx{})
		if reason != "" {
			return ""
		}
		parts = append(parts, v.(string))
	}
	return strings.Join(parts, "|")
}
