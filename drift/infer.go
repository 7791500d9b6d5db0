package drift

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// InferConfig tunes an [Inferrer]. The zero value, or nil, gives the
// defaults.
type InferConfig struct {
	// SampleSize is the size of each field's reservoir of raw values.
	// Defaults to DefaultSampleSize (20).
	SampleSize int
	// MaxFields caps the number of distinct field paths tracked; fields
	// first seen past the cap are ignored and counted by
	// [Inferrer.Dropped]. Defaults to 1000.
	MaxFields int
	// MaxDepth is how many levels of nested maps are flattened into
	// dotted paths; a map deeper than that becomes one field of type
	// object. Defaults to 8.
	MaxDepth int
	// MaxValueLen caps, in bytes, a sample kept in the reservoir (longer
	// values are cut on a rune boundary). Defaults to 256.
	MaxValueLen int
	// ExactDistinct is the per-field distinct-count budget (see
	// [Profiler.ExactDistinct]). Defaults to 1024.
	ExactDistinct int
	// Rand drives reservoir sampling. Defaults to a PCG generator with a
	// fixed seed, so the same records always give the same samples.
	Rand *rand.Rand
}

func (c *InferConfig) withDefaults() InferConfig {
	var d InferConfig
	if c != nil {
		d = *c
	}
	if d.SampleSize <= 0 {
		d.SampleSize = DefaultSampleSize
	}
	if d.MaxFields <= 0 {
		d.MaxFields = 1000
	}
	if d.MaxDepth <= 0 {
		d.MaxDepth = 8
	}
	if d.MaxValueLen <= 0 {
		d.MaxValueLen = 256
	}
	if d.ExactDistinct <= 0 {
		d.ExactDistinct = 1024
	}
	if d.Rand == nil {
		d.Rand = rand.New(rand.NewPCG(0x5eed, 0xd1f7))
	}
	return d
}

// Inferrer builds a [Schema] from a stream of records, for sources that
// declare none (CSV files, MongoDB collections). Memory is bounded by
// the config: per field, a [Profiler] and a reservoir of SampleSize
// values; at most MaxFields fields.
//
// Records are either maps, as decoded from JSON or a document store
// ([Inferrer.Add]; nested maps become dotted paths such as
// "CustomerRef.value"), or CSV rows with their header
// ([Inferrer.AddRow]). Types are inferred per value and joined with
// widening: integer + number = number, date + timestamp = timestamp, any
// other mix = string. Go values give their own type (bool, integer and
// float kinds, [time.Time], [json.Number], maps as objects past MaxDepth,
// slices as arrays); strings in maps are timestamps or dates when every
// one parses as such and strings otherwise; CSV cells are typed from
// their text (boolean words, integers, numbers, dates, timestamps). A
// field is nullable when some record has it null or empty, or lacks it.
//
// An Inferrer is not safe for concurrent use.
type Inferrer struct {
	system, object string
	cfg            InferConfig
	fields         map[string]*inferField
	order          []*inferField
	records        int
	dropped        int
}

type inferField struct {
	name    string
	typ     FieldType // joined type of non-null values; "" when none yet
	present int       // records that had the field (null or not)
	lastRec int       // the record that last counted in present
	text    int       // values that came as CSV cells
	typed   int       // values that came typed, from maps
	isMap   bool      // seen as a nested map that was flattened
	prof    Profiler
	res     []string
	nonNull int // non-null values offered to the reservoir
}

// NewInferrer returns an Inferrer for the object named object of the
// given system. cfg may be nil.
func NewInferrer(system, object string, cfg *InferConfig) *Inferrer {
	c := cfg.withDefaults()
	return &Inferrer{system: system, object: object, cfg: c, fields: make(map[string]*inferField)}
}

// Records reports how many records were added.
func (in *Inferrer) Records() int { return in.records }

// Dropped reports how many values were ignored: values of paths first
// met after MaxFields was reached (such paths are not remembered, so
// each occurrence counts) and values under an empty map key or CSV
// header.
func (in *Inferrer) Dropped() int { return in.dropped }

// Add adds one record. Keys are visited in sorted order, so field order
// in the schema is deterministic: first-seen, sorted within a record.
func (in *Inferrer) Add(rec map[string]any) {
	in.records++
	in.addMap("", rec, 0)
}

// AddRow adds one CSV row read with its header. A row longer than the
// header is an error wrapping [ErrInvalidRecord] (naming the record
// number) and is not added; a shorter row leaves the missing cells null.
func (in *Inferrer) AddRow(header, row []string) error {
	if len(row) > len(header) {
		return fmt.Errorf("%w: record %d has %d cells, the header has %d", ErrInvalidRecord, in.records+1, len(row), len(header))
	}
	in.records++
	for i, h := range header {
		if h == "" {
			in.dropped++
			continue
		}
		f := in.field(h)
		if f == nil {
			continue
		}
		f.seen(in.records)
		if i >= len(row) {
			f.prof.AddNull()
			continue
		}
		in.addText(f, row[i], true)
	}
	return nil
}

// Schema returns the schema inferred so far. The Inferrer may keep
// receiving records afterwards.
func (in *Inferrer) Schema() *Schema {
	s := &Schema{System: in.system, Object: in.object, Fields: make([]Field, 0, len(in.order))}
	for _, f := range in.order {
		if f.isMap && f.typ == "" {
			continue // only ever a container, or null where others nest
		}
		prof := f.prof
		missing := in.records - f.present
		prof.count += missing
		prof.nulls += missing
		typ := f.typ
		if f.text > 0 && f.typed == 0 {
			// CSV cells: the column as a whole decides, so "20240131"
			// beside "2024-03-04" is a date, not integer-or-string.
			typ = f.prof.Type()
		}
		if typ == "" {
			typ = TypeString
		}
		samples := make([]string, 0, len(f.res))
		for _, v := range f.res {
			if !slices.Contains(samples, v) {
				samples = append(samples, v)
			}
		}
		s.Fields = append(s.Fields, Field{
			Name:     f.name,
			Type:     typ,
			Nullable: prof.nulls > 0,
			Samples:  samples,
			Stats:    prof.Stats(),
		})
	}
	return s
}

// seen counts record rec (1-based) as having f, once, even when a
// duplicate CSV header or a key "a.b" beside a nested "a": {"b"} gives
// the path twice.
func (f *inferField) seen(rec int) {
	if f.lastRec != rec {
		f.lastRec = rec
		f.present++
	}
}

// field returns the state of path, creating it unless MaxFields is
// reached (then nil).
func (in *Inferrer) field(path string) *inferField {
	if f, ok := in.fields[path]; ok {
		return f
	}
	if len(in.order) >= in.cfg.MaxFields {
		in.dropped++ // not remembered: keys can be unbounded (ids as keys)
		return nil
	}
	f := &inferField{name: path}
	f.prof.ExactDistinct = in.cfg.ExactDistinct
	in.fields[path] = f
	in.order = append(in.order, f)
	return f
}

func (in *Inferrer) addMap(prefix string, m map[string]any, depth int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" {
			// An empty key names no field.
			in.dropped++
			continue
		}
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		in.addValue(path, m[k], depth)
	}
}

func (in *Inferrer) addValue(path string, v any, depth int) {
	if sub, ok := asMap(v); ok && depth+1 < in.cfg.MaxDepth && len(sub) > 0 {
		if f := in.field(path); f != nil {
			f.isMap = true
			f.seen(in.records)
		}
		in.addMap(path, sub, depth+1)
		return
	}
	f := in.field(path)
	if f == nil {
		return
	}
	f.seen(in.records)
	switch x := v.(type) {
	case nil:
		f.prof.AddNull()
	case string:
		in.addText(f, x, false)
	case bool:
		in.addTyped(f, strconv.FormatBool(x), TypeBoolean)
	case int:
		in.addTyped(f, strconv.FormatInt(int64(x), 10), TypeInteger)
	case int8:
		in.addTyped(f, strconv.FormatInt(int64(x), 10), TypeInteger)
	case int16:
		in.addTyped(f, strconv.FormatInt(int64(x), 10), TypeInteger)
	case int32:
		in.addTyped(f, strconv.FormatInt(int64(x), 10), TypeInteger)
	case int64:
		in.addTyped(f, strconv.FormatInt(x, 10), TypeInteger)
	case uint:
		in.addTyped(f, strconv.FormatUint(uint64(x), 10), TypeInteger)
	case uint8:
		in.addTyped(f, strconv.FormatUint(uint64(x), 10), TypeInteger)
	case uint16:
		in.addTyped(f, strconv.FormatUint(uint64(x), 10), TypeInteger)
	case uint32:
		in.addTyped(f, strconv.FormatUint(uint64(x), 10), TypeInteger)
	case uint64:
		in.addTyped(f, strconv.FormatUint(x, 10), TypeInteger)
	case float32:
		in.addFloat(f, float64(x))
	case float64:
		in.addFloat(f, x)
	case json.Number:
		if _, err := x.Int64(); err == nil {
			in.addTyped(f, x.String(), TypeInteger)
		} else if fl, err := x.Float64(); err == nil {
			in.addFloat(f, fl)
		} else {
			in.addTyped(f, x.String(), TypeString)
		}
	case time.Time:
		in.addTyped(f, x.Format(time.RFC3339Nano), TypeTimestamp)
	case []byte:
		in.addTyped(f, fmt.Sprintf("<%d bytes>", len(x)), TypeString)
	case []any, []string, []map[string]any, []int, []int64, []float64:
		in.addTyped(f, jsonText(x), TypeArray)
	case map[string]any, map[string]string:
		in.addTyped(f, jsonText(x), TypeObject)
	case fmt.Stringer:
		in.addText(f, x.String(), false)
	default:
		in.addTyped(f, jsonText(x), TypeString)
	}
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, s := range m {
			out[k] = s
		}
		return out, true
	}
	return nil, false
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	return string(b)
}

// addFloat records a float: integer when whole and exactly representable.
func (in *Inferrer) addFloat(f *inferField, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		f.prof.AddNull()
		return
	}
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		in.addTyped(f, strconv.FormatInt(int64(x), 10), TypeInteger)
		return
	}
	in.addTyped(f, strconv.FormatFloat(x, 'g', -1, 64), TypeNumber)
}

// addText records a string value. In CSV (typed=true) the text decides
// the type fully; in a map only dates and timestamps are recognized.
func (in *Inferrer) addText(f *inferField, v string, csvCell bool) {
	vi, ok := f.prof.add(v)
	if !ok {
		return
	}
	if csvCell {
		f.text++
	} else {
		f.typed++
	}
	t := TypeString
	switch {
	case csvCell && vi.boolWord:
		t = TypeBoolean
	case csvCell && vi.bits&bitInteger != 0:
		t = TypeInteger
	case csvCell && vi.bits&bitNumeric != 0:
		t = TypeNumber
	case vi.bits&bitTimestamp != 0:
		t = TypeTimestamp
	case vi.bits&bitDate != 0 && vi.bits&bitInteger == 0:
		t = TypeDate
	}
	in.sample(f, v)
	f.typ = joinType(f.typ, t)
}

func (in *Inferrer) addTyped(f *inferField, text string, t FieldType) {
	if _, ok := f.prof.add(text); !ok {
		// Empty strings of typed values do not occur; arrays "[]" are
		// values. Only a blank text is null.
		return
	}
	f.typed++
	in.sample(f, text)
	f.typ = joinType(f.typ, t)
}

// sample offers v to f's reservoir (Algorithm R).
func (in *Inferrer) sample(f *inferField, v string) {
	f.nonNull++
	if len(v) > in.cfg.MaxValueLen {
		cut := in.cfg.MaxValueLen
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	if len(f.res) < in.cfg.SampleSize {
		f.res = append(f.res, cloneString(v))
		return
	}
	if j := in.cfg.Rand.IntN(f.nonNull); j < len(f.res) {
		f.res[j] = cloneString(v)
	}
}

// cloneString copies v so a sample never pins a large input buffer.
func cloneString(v string) string { return string([]byte(v)) }

// joinType widens a and b to a type that holds both: equal types stay,
// integer+number = number, date+timestamp = timestamp, anything else is
// string. The empty type is the identity.
func joinType(a, b FieldType) FieldType {
	switch {
	case a == "" || a == b:
		return b
	case b == "":
		return a
	case a == TypeInteger && b == TypeNumber, a == TypeNumber && b == TypeInteger:
		return TypeNumber
	case a == TypeDate && b == TypeTimestamp, a == TypeTimestamp && b == TypeDate:
		return TypeTimestamp
	}
	return TypeString
}

// InferRecords infers the schema of records (see [Inferrer]).
func InferRecords(system, object string, records []map[string]any, cfg *InferConfig) *Schema {
	in := NewInferrer(system, object, cfg)
	for _, r := range records {
		in.Add(r)
	}
	return in.Schema()
}

// InferCSV reads CSV from r, the first row being the header, and infers
// its schema (see [Inferrer]). maxRows bounds the rows read (0 means
// all). Errors name the record; a malformed file returns the error
// wrapping [ErrInvalidRecord] and no schema.
func InferCSV(system, object string, r io.Reader, maxRows int, cfg *InferConfig) (*Schema, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: no header row", ErrInvalidRecord, object)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: header: %v", ErrInvalidRecord, object, err)
	}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("%w: %s: header column %d is empty", ErrInvalidRecord, object, i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("%w: %s: header column %d %q is a duplicate", ErrInvalidRecord, object, i+1, h)
		}
		seen[h] = true
	}
	in := NewInferrer(system, object, cfg)
	for maxRows <= 0 || in.records < maxRows {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidRecord, object, err)
		}
		if err := in.AddRow(header, row); err != nil {
			return nil, fmt.Errorf("%s: %w", object, err)
		}
	}
	return in.Schema(), nil
}
