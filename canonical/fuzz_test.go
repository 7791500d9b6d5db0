package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// checkValueErr fails unless err is nil or a *ValueError of type t that
// wraps one of the value sentinels.
func checkValueErr(t *testing.T, typ ValueType, in any, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Type != typ || ve.Reason == "" {
		t.Fatalf("%s %q: error %v is not a *ValueError", typ, in, err)
	}
	if !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrAmbiguousValue) && !errors.Is(err, ErrNoValue) {
		t.Fatalf("%s %q: error %v wraps no sentinel", typ, in, err)
	}
}

var (
	reDate      = regexp.MustCompile(PatternDate)
	reTimestamp = regexp.MustCompile(PatternTimestamp)
	reDecimal   = regexp.MustCompile(PatternDecimal)
	rePhone     = regexp.MustCompile(PatternPhone)
)

func FuzzNormalizeDecimal(f *testing.F) {
	for _, s := range []string{"1,234.50", "1.234,50", "$1,200", "€1.200,00", "85000.5", "(1,200.00)", "1200.00-", "1e3", "-0.00", "₹1,23,456.50", "1'234.5", ".5", "12,5", "1,2,3"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, sep uint8) {
		loc := &Locale{}
		switch sep % 3 {
		case 1:
			loc.DecimalSeparator = '.'
		case 2:
			loc.DecimalSeparator = ','
		}
		d, err := NormalizeDecimal(s, loc)
		checkValueErr(t, TypeDecimal, s, err)
		if err != nil {
			return
		}
		out := decString(d)
		if !reDecimal.MatchString(strings.TrimPrefix(out, "-")) && !reDecimal.MatchString(out) {
			t.Fatalf("%q gave %q, which is not canonical", s, out)
		}
		back, err := NormalizeDecimal(out, &Locale{DecimalSeparator: '.'})
		if err != nil || decString(back) != out {
			t.Fatalf("%q -> %q -> %q, %v: not idempotent", s, out, decString(back), err)
		}
		if p, err := decimal.NewFromString(out); err != nil || !p.Equal(d.Decimal) {
			t.Fatalf("%q -> %q does not parse back: %v", s, out, err)
		}
	})
}

func FuzzNormalizeInteger(f *testing.F) {
	for _, s := range []string{"42", "1,234", "1.234", "1234.00", "-9223372036854775808", "9223372036854775808", "1e18", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, err := NormalizeInteger(s, nil)
		checkValueErr(t, TypeInteger, s, err)
		if err != nil {
			return
		}
		d, err := NormalizeDecimal(s, nil)
		if err != nil || !d.IsInteger() || d.IntPart() != i {
			t.Fatalf("%q: integer %d but decimal %v, %v", s, i, d, err)
		}
	})
}

func FuzzNormalizePercent(f *testing.F) {
	for _, s := range []string{"0.35", "35", "35%", "1", "0", "1.00", "100.5 %", "-0.5"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, scale uint8) {
		d, err := NormalizePercent(s, PercentScale(scale%3), nil)
		checkValueErr(t, TypePercent, s, err)
		if err == nil && !reDecimal.MatchString(strings.TrimPrefix(decString(d), "-")) {
			t.Fatalf("%q gave %q", s, decString(d))
		}
	})
}

func FuzzNormalizeBoolean(f *testing.F) {
	for _, s := range []string{"true", "No", "Y", "0", "1", "maybe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := NormalizeBoolean(s)
		checkValueErr(t, TypeBoolean, s, err)
		if err == nil {
			if b2, err := NormalizeBoolean(map[bool]string{true: "true", false: "false"}[b]); err != nil || b2 != b {
				t.Fatal("not idempotent")
			}
		}
	})
}

func FuzzNormalizeDate(f *testing.F) {
	for _, s := range []string{"2025-03-04", "20240131", "03/04/2025", "25/03/2025", "2025-03-04T10:15:00+05:30", "1741083300", "/Date(1741083300000)/", "Mar 4, 2025", "00000000", "2025-3-4", "04.03.2025 10:00 PM"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, order uint8) {
		loc := &Locale{DateOrder: DateOrder(order % 3)}
		out, err := NormalizeDate(s, loc)
		checkValueErr(t, TypeDate, s, err)
		if err != nil {
			return
		}
		if !reDate.MatchString(out) {
			t.Fatalf("%q gave %q", s, out)
		}
		if again, err := NormalizeDate(out, nil); err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v", s, out, again, err)
		}
	})
}

func FuzzNormalizeTimestamp(f *testing.F) {
	for _, s := range []string{"2025-03-04T10:15:00+05:30", "2025-03-04 10:15:00", "2025-03-04T10:15:00.000+0000", "1741083300123", "20240131143000", "1741083300.5", "Tue, 04 Mar 2025 10:15:00 GMT", "3/4/2025 12:00 AM"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, order uint8) {
		out, err := NormalizeTimestamp(s, &Locale{DateOrder: DateOrder(order % 3)})
		checkValueErr(t, TypeTimestamp, s, err)
		if err != nil {
			return
		}
		if !reTimestamp.MatchString(out) {
			t.Fatalf("%q gave %q", s, out)
		}
		if again, err := NormalizeTimestamp(out, nil); err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v", s, out, again, err)
		}
	})
}

func FuzzNormalizeString(f *testing.F) {
	for _, s := range []string{" a ", "\xff", "", "\u00a0x\u00a0", "Acme - 200 seats", "0065g00000XyZ1AAA", "abcdefg\x85", "x\x00", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeString(s)
		checkValueErr(t, TypeString, s, err)
		if err == nil && (!utf8.ValidString(out) || strings.TrimSpace(out) != out || out == "") {
			t.Fatalf("%q gave %q", s, out)
		}
		// The plain-ASCII fast path must give what trimming and
		// repairing give.
		want := strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
		if want != out {
			t.Fatalf("%q gave %q, want %q", s, out, want)
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"Ann@Acme.com", "mailto:a@b.co?x", "Ann <a@b.co>", "a..b@c.de", "@x.y", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeEmail(s)
		checkValueErr(t, TypeEmail, s, err)
		if err != nil {
			return
		}
		if strings.Count(out, "@") < 1 || out != strings.ToLower(out) && !hasNonASCII(out) {
			t.Fatalf("%q gave %q", s, out)
		}
		if again, err := NormalizeEmail(out); err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v", s, out, again, err)
		}
		if d, err := NormalizeDomain(out); err != nil || !strings.HasSuffix(out, "@"+d) && !strings.HasSuffix(out, ".www."+d) && !strings.HasSuffix(out, "@www."+d) {
			t.Fatalf("domain of %q = %q, %v", out, d, err)
		}
	})
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"https://www.Acme.com/about", "a@b.co", "acme.com:8080", "//x.y/z", "www.com", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeDomain(s)
		checkValueErr(t, TypeDomain, s, err)
		if err != nil {
			return
		}
		if strings.ContainsAny(out, "/:@ ") || !strings.Contains(out, ".") {
			t.Fatalf("%q gave %q", s, out)
		}
		if again, err := NormalizeDomain(out); err != nil || (again != out && "www."+again != out) {
			t.Fatalf("%q -> %q -> %q, %v", s, out, again, err)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+1 415-555-0100", "(415) 555-0100", "0044 20 7946 0958", "1-800-FLOWERS", "x123", "tel:+49301234"} {
		f.Add(s, "US")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		if len(region) > 3 {
			region = region[:3]
		}
		out, err := NormalizePhone(s, region)
		checkValueErr(t, TypePhone, s, err)
		if err != nil {
			return
		}
		if !rePhone.MatchString(out) {
			t.Fatalf("%q (%s) gave %q", s, region, out)
		}
		if strings.HasPrefix(out, "+") {
			if again, err := NormalizePhone(out, ""); err != nil || again != out {
				t.Fatalf("%q -> %q -> %q, %v", s, out, again, err)
			}
		}
	})
}

func FuzzNormalizeCurrency(f *testing.F) {
	for _, s := range []string{"usd", "€", "R$", "$", "euro", "XYZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeCurrency(s, nil)
		checkValueErr(t, TypeCurrency, s, err)
		if err != nil {
			return
		}
		if _, ok := currencyCodes[out]; !ok {
			t.Fatalf("%q gave %q, not an ISO 4217 code", s, out)
		}
	})
}

func FuzzNormalizeCountry(f *testing.F) {
	for _, s := range []string{"DE", "deu", "Germany", "Deutschland", "U.S.A.", "Côte d’Ivoire", "Atlantis"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeCountry(s)
		checkValueErr(t, TypeCountry, s, err)
		if err != nil {
			return
		}
		if countryByCode[out] != out {
			t.Fatalf("%q gave %q, not an alpha-2 code", s, out)
		}
		if again, err := NormalizeCountry(out); err != nil || again != out {
			t.Fatalf("%q -> %q -> %q", s, out, again)
		}
	})
}

// FuzzNormalizeRecord feeds arbitrary JSON objects through an opportunity
// normalizer: the record either has no key (a *MissingKeyError) or gives
// an event that matches its JSON Schema, whose id is the same on replay,
// and whose JSON survives a round trip.
func FuzzNormalizeRecord(f *testing.F) {
	seed, _ := json.Marshal(opportunityRecord())
	f.Add(seed)
	f.Add([]byte(`{"Id":"1","Amount":"1.234,50","Probability":1,"CloseDate":"03/04/2025","IsWon":"maybe","CustomerRef":{"value":7}}`))
	f.Add([]byte(`{"Id":7,"LastModifiedDate":1741083300123,"CreatedDate":"x","CurrencyIsoCode":"$","Name":["a"]}`))
	f.Add([]byte(`{"Name":"no key"}`))
	n := newOppNormalizer(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var rec map[string]any
		if dec.Decode(&rec) != nil || rec == nil {
			return
		}
		evs, err := n.Normalize(rec)
		if err != nil {
			if !errors.Is(err, ErrMissingKey) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		ev := evs[0]
		if err := Validate(ev); err != nil {
			t.Fatalf("normalized event breaks its schema: %v\nrecord %s", err, data)
		}
		again, err := n.Normalize(rec)
		if err != nil || again[0].ID != ev.ID {
			t.Fatalf("replay gave another id")
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeEvent(b, V1())
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(back)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the JSON:\n%s\n%s", b, b2)
		}
	})
}

// FuzzNormalizeRecordFields drives the record path with arbitrary text in
// every typed field of an opportunity: whatever the values, the event
// keeps every field (null with a problem, or a value), matches its
// schema, and has the same id on replay.
func FuzzNormalizeRecordFields(f *testing.F) {
	f.Add("006A", "1,234.50", "usd", "0.35", "03/04/2025", "yes", "2025-03-04T10:15:00+05:30", "Acme")
	f.Add("", "€1.200,00", "$", "1", "20240131", "t", "1741083300123", " ")
	f.Add("x", "(5)", "EUR", "35%", "2025-02-30", "2", "/Date(0)/", "\xff")
	n := newOppNormalizer(f, nil)
	f.Fuzz(func(t *testing.T, id, amount, currency, prob, closeDate, won, updated, name string) {
		rec := map[string]any{
			"Id": id, "Amount": amount, "CurrencyIsoCode": currency, "Probability": prob,
			"CloseDate": closeDate, "IsWon": won, "LastModifiedDate": updated, "Name": name,
		}
		evs, err := n.Normalize(rec)
		if err != nil {
			if !errors.Is(err, ErrMissingKey) || strings.TrimSpace(id) != "" && utf8.ValidString(id) {
				t.Fatalf("unexpected error %v for id %q", err, id)
			}
			return
		}
		ev := evs[0]
		if len(ev.Data) != len(rec) {
			t.Fatalf("data has %d fields, want %d: %v", len(ev.Data), len(rec), ev.Data)
		}
		problems := map[string]bool{}
		for _, p := range ev.Problems {
			problems[p.Field] = true
			if ev.Data[p.Field] != nil {
				t.Fatalf("field %s has a problem and a value", p.Field)
			}
		}
		if err := Validate(ev); err != nil {
			t.Fatalf("event breaks its schema: %v\nrecord %q", err, rec)
		}
		again, _ := n.Normalize(rec)
		if again[0].ID != ev.ID {
			t.Fatal("replay gave another id")
		}
		// The same values as a CSV row take the unboxed text path and
		// must give the same event.
		header := make([]string, 0, len(rec))
		row := make([]string, 0, len(rec))
		for k, v := range rec {
			header = append(header, k)
			row = append(row, v.(string))
		}
		rows, err := n.NormalizeRow(header, row, "")
		if err != nil {
			t.Fatalf("row: %v", err)
		}
		if rows[0].ID != ev.ID || !reflect.DeepEqual(rows[0].Data, ev.Data) || !reflect.DeepEqual(rows[0].Problems, ev.Problems) {
			t.Fatalf("row and record differ:\n%+v\n%+v", rows[0], ev)
		}
	})
}

// FuzzTextPath checks that every value type reads a text the same way
// whether it comes boxed (a JSON value) or as a bare string (a CSV cell).
func FuzzTextPath(f *testing.F) {
	for _, s := range []string{"2025-03-04", " 2025-03-04 ", "2025-03-04T10:15:00Z", "2025-01-10T08:00:00.000+0000", "1,234.50",
		"35%", "0.5", "1", "USD", "usd", "€", "Germany", "de", "a@b.co", "https://www.x.io/a", "+1 415-555-0100", "yes", "null", " ", "\xff"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, scale uint8) {
		loc := &Locale{Region: "US", DateOrder: DateOrder(scale % 3)}
		for typ, fn := range normFuncs {
			a := normCtx{loc: loc, region: "US", scale: PercentScale(scale % 3), text: true, wantTime: true}
			b := a
			va, ra := fn(s, &a)
			vb, rb := strFuncs[typ](s, nil, &b)
			if ra != rb || !reflect.DeepEqual(va, vb) || string(a.buf) != string(b.buf) || !a.t.Equal(b.t) || a.ambiguous != b.ambiguous {
				t.Fatalf("%s %q: boxed (%#v, %q, %q) text (%#v, %q, %q)", typ, s, va, ra, a.buf, vb, rb, b.buf)
			}
			if typ == TypeTimestamp && ra == "" {
				want, err := time.Parse(time.RFC3339Nano, va.(string))
				if err != nil || !a.t.Equal(want) || a.t.Location() != time.UTC {
					t.Fatalf("%q gave %v but its instant is %v (%v)", s, va, a.t, err)
				}
			}
		}
	})
}

// FuzzFastDecimal checks that the fast path reads every text it accepts
// exactly as the general path does.
func FuzzFastDecimal(f *testing.F) {
	for _, s := range []string{"1,234.50", "-0.05", "1234", "0,123", "12,34", "1.", ".5", "-", "1,234,567.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		fast, ok := fastDecimal(s)
		if !ok {
			return
		}
		var slow number
		slow, reason := slow.digits(strings.TrimPrefix(s, "-"), '.')
		if reason != "" {
			t.Fatalf("%q: fast path read it, general path says %s", s, reason)
		}
		slow.neg = strings.HasPrefix(s, "-")
		fd, _ := fast.decimal()
		sd, _ := slow.decimal()
		if DecimalString(fd) != DecimalString(sd) {
			t.Fatalf("%q: fast %s, general %s", s, DecimalString(fd), DecimalString(sd))
		}
	})
}
