// Package canonical holds the ontology that every source is mapped onto,
// the canonical [Event] that carries a normalized record, the value
// normalizers, the [Normalizer] that turns raw records into events, and
// the JSON Schema of each entity's events.
//
// It sits at the bottom of the SDK: it imports only [tenancy] and a few
// well-kept libraries (shopspring/decimal for exact amounts,
// nyaruka/phonenumbers for phone numbers, invopop/jsonschema and
// santhosh-tekuri/jsonschema for schemas), and every other package may
// import it.
//
// # Getting started
//
//	n, err := canonical.NewNormalizer(tenant, canonical.Source{
//		System: "salesforce", ConnectionID: "sf-prod", Object: "Opportunity",
//	}, mapping, &canonical.Config{SchemaFingerprint: fp})
//	...
//	events, err := n.Normalize(record) // record is a map[string]any
//	var missing *canonical.MissingKeyError
//	if errors.As(err, &missing) { ... } // the record has no key
//	for _, ev := range events {
//		for _, p := range ev.Problems { ... } // values that could not be read
//	}
//
// A [Mapping] (from the repair package's matcher, or written by hand)
// says which source field feeds which "entity.field" target. NewNormalizer
// compiles it once into a plan; each record then costs a handful of map
// lookups, one allocation or so per field, and a SHA-256 of its canonical
// content. Records come as map[string]any from JSON (with or without
// json.Decoder.UseNumber) or from a Mongo driver, where dotted sources
// reach nested values ("CustomerRef.value", "emails.0.address"), or as
// CSV rows with their header ([Normalizer.NormalizeRow]).
//
// # The ontology
//
// [V1] returns ontology v1 ("revops": account, contact, lead,
// opportunity, activity, invoice) as data; [Ontology.Lookup] resolves a
// target, and [Ontology.Register] adds entities or fields (a tenant's
// own, say) without renaming those of the contract. Pass the extended
// ontology in [Config.Ontology] and to [NewValidator].
//
// # Value types and their Go types
//
// Event.Data maps a field name to its canonical value, whose Go type
// follows from the field's [ValueType]:
//
//	string     string   trimmed UTF-8
//	integer    int64
//	decimal    Decimal  exact (shopspring/decimal), with the scale the source wrote ("1234.50")
//	boolean    bool
//	date       string   "2025-03-04"
//	timestamp  string   RFC 3339 in UTC, "2025-03-04T04:45:00Z" (a fraction only if the source had one)
//	email      string   lower-cased address
//	phone      string   E.164 "+14155550100" when the country is known, else digits
//	domain     string   bare lower-case host, "acme.com"
//	currency   string   ISO 4217 "USD"
//	country    string   ISO 3166-1 alpha-2 "DE"
//	percent    Decimal  0..100
//
// A field whose value is null in the source, or could not be read, is
// present with a nil value; a mapped field absent from the record is left
// out. [Decimal] embeds decimal.Decimal and writes its text and JSON with
// the scale kept, as a JSON string ("1234.50", where decimal.Decimal
// would write "1234.5"), so marshalling Data alone is exact too; integers
// are JSON numbers;
// [DecodeEvent] reads an event back with these Go types, so that a round
// trip gives the same bytes. No float64 ever holds an amount: a float
// from a JSON decoder is read through its shortest exact text (85000.5).
//
// The value normalizers can be used alone: [NormalizeValue] for any type,
// and [NormalizeDecimal], [NormalizeDate], [NormalizeTimestamp],
// [NormalizePhone], [NormalizeCountry] and the others for one type. What
// they accept:
//
//   - dates and timestamps: ISO 8601 / RFC 3339 with any offset
//     (2025-03-04T10:15:00+05:30 is 2025-03-04T04:45:00Z; +0530 and +05
//     too), SQL "2025-03-04 10:15:00", SAP 20240131 and 20240131143000
//     (00000000 is null), unix seconds, milliseconds, microseconds and
//     nanoseconds as numbers or text (the unit follows from the size),
//     OData /Date(ms)/, day/month dates such as 25/03/2025 and, with a
//     declared [Locale.DateOrder], 03/04/2025 (without one it is an
//     ambiguous value, never a guess), and English month names. A date
//     field keeps the calendar date the source wrote; a timestamp without
//     offset is read in [Locale.Location].
//   - amounts: 1,234.50, 1.234,50, 1 234,50, 1'234.50, 1,23,456.50, $1,200,
//     €1.200,00, EUR 1200, (1,200.00) and SAP's 1200.00- as negatives,
//     e-notation. Without a [Locale.DecimalSeparator] an amount is read
//     with '.' as the decimal point when that reading exists ("1,200" is
//     1200, "1.200" is 1.200), and with ',' only when it is the only
//     reading ("1.234,50", "12,5"); with one, strictly in that
//     convention.
//   - percentages: "35%" is 35 under any scale; otherwise the field's
//     [PercentScale] decides whether 0.35 means 35. [Normalizer.Calibrate]
//     infers it per field from a batch ([InferPercentScale]): values above
//     1 mean 0..100, values within [0, 1] with some fractions mean 0..1.
//     Without a scale a value of exactly 1 is ambiguous.
//   - booleans: true/false, yes/no, y/n, t/f, 1/0 in any case.
//   - phones: libphonenumber, with the region from the record's country
//     field, else [Locale.Region]; a number with neither keeps its digits.
//   - countries: alpha-2, alpha-3, English names (CLDR) and common native
//     or short names (Deutschland, España, UK, USA).
//   - currencies: ISO codes, signs that name one currency (€ £ ₹ R$ ...),
//     and "$", "¥", "kr" only through [Locale.Symbols] ([ParseLocale]
//     fills them for a region).
//   - domains: URLs, e-mail addresses and host names to the bare host.
//
// # Event ids
//
// An event's ID is the first 128 bits, in hex, of a SHA-256 over the
// tenant, the source (system, connection, object), the entity, the op,
// the source key and the record's version. The version is the record's
// canonical content: every mapped field's canonical value in field-name
// order (null and absent told apart), and the raw text of every value
// that could not be read. The updated_at value is part of it when it is
// mapped, so a record edited back to earlier values still gets a new id.
// The same version replayed, re-read after a restart or written in other
// raw forms with equal canonical values ("$1,234.50" and "1234.50") gives
// the same id, so consumers can drop replays; ingest time and schema
// fingerprint do not enter it.
//
// # Errors
//
// A value that cannot be normalized never stops a record: the field is
// nil and a [Problem] (field, source field, raw text, reason) rides on
// the event. A record without a key yields a [*MissingKeyError] naming
// the record, object, entity and fields. The value normalizers return a
// [*ValueError] wrapping [ErrInvalidValue], [ErrAmbiguousValue] or
// [ErrNoValue]; [NewNormalizer] wraps [ErrInvalidMapping],
// [ErrUnknownTarget] or [ErrInvalidConfig]; validation returns a [*ValidationError] wrapping
// [ErrInvalidEvent], whose violations name fields ("data.amount").
//
// # JSON Schema
//
// [Schema] (and [Ontology.Schema] for extended ontologies) returns the
// draft 2020-12 schema of an entity's events: the envelope reflected from
// [Event], and a data object with each field's type, format and pattern
// (the Pattern constants), nullable, no other fields. [Validate] and
// [Validator.Validate] check an event against it; normalized events
// always pass.
//
// # Concurrency
//
// An [Ontology], a [Normalizer] and a [Validator] are safe for concurrent
// use; [Normalizer.Calibrate] may run while records are normalized. A
// [Locale] and a [Mapping] are plain values: do not change them while a
// Normalizer built from them is in use. Events are owned by the caller.
//
// # Testing
//
// The package has no I/O and needs no service. Its golden files under
// testdata/golden show normalized events for real-looking records; run
// go test ./canonical -run TestGolden -update to rewrite them.
package canonical
