package canonical

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

type valueCase struct {
	name string
	raw  any
	loc  *Locale
	want any   // canonical value; nil for null
	err  error // sentinel the error must wrap, when an error is expected
}

func runValueCases(t *testing.T, typ ValueType, cases []valueCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeValue(typ, tc.raw, tc.loc)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("NormalizeValue(%s, %#v) = %#v, %v; want error %v", typ, tc.raw, got, err, tc.err)
				}
				var ve *ValueError
				if !errors.As(err, &ve) || ve.Type != typ || ve.Reason == "" {
					t.Fatalf("error %v is not a *ValueError of type %s with a reason", err, typ)
				}
				if got != nil {
					t.Fatalf("value %#v returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeValue(%s, %#v): %v", typ, tc.raw, err)
			}
			if d, ok := tc.want.(string); ok && (typ == TypeDecimal || typ == TypePercent) {
				gd, ok := got.(Decimal)
				if !ok {
					t.Fatalf("got %T, want Decimal", got)
				}
				if s := decString(gd); s != d {
					t.Fatalf("NormalizeValue(%s, %#v) = %s, want %s", typ, tc.raw, s, d)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("NormalizeValue(%s, %#v) = %#v (%T), want %#v (%T)", typ, tc.raw, got, got, tc.want, tc.want)
			}
		})
	}
}

var (
	dayFirst   = &Locale{DateOrder: DayFirst}
	monthFirst = &Locale{DateOrder: MonthFirst}
	comma      = &Locale{DecimalSeparator: ','}
	point      = &Locale{DecimalSeparator: '.'}
)

func TestNormalizeString(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeString, []valueCase{
		{"trimmed", "  Acme Corp \t", nil, "Acme Corp", nil},
		{"blank is null", "   ", nil, nil, nil},
		{"nil is null", nil, nil, nil, nil},
		{"the text null stays text", "null", nil, "null", nil},
		{"integral float id", float64(12345678), nil, "12345678", nil},
		{"float", 12.5, nil, "12.5", nil},
		{"int", 42, nil, "42", nil},
		{"int64", int64(-7), nil, "-7", nil},
		{"json.Number", json.Number("0061"), nil, "0061", nil},
		{"bool", true, nil, "true", nil},
		{"time", time.Date(2025, 3, 4, 10, 15, 0, 0, time.FixedZone("", 3600)), nil, "2025-03-04T09:15:00Z", nil},
		{"invalid utf8 replaced", "a\xffb", nil, "a\uFFFDb", nil},
		{"bytes", []byte(" x "), nil, "x", nil},
		{"object refused", map[string]any{"value": "1"}, nil, nil, ErrInvalidValue},
		{"list refused", []any{"a"}, nil, nil, ErrInvalidValue},
		{"NaN refused", math.NaN(), nil, nil, ErrInvalidValue},
		{"unsupported type", struct{}{}, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeInteger(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeInteger, []valueCase{
		{"int", 250, nil, int64(250), nil},
		{"int64 min", int64(math.MinInt64), nil, int64(math.MinInt64), nil},
		{"float integral", float64(1200), nil, int64(1200), nil},
		{"json.Number", json.Number("987654321012"), nil, int64(987654321012), nil},
		{"text", " 42 ", nil, int64(42), nil},
		{"grouped", "1,234", nil, int64(1234), nil},
		{"grouped decimal comma locale", "1.234", comma, int64(1234), nil},
		{"trailing zeros", "1234.00", nil, int64(1234), nil},
		{"negative", "-15", nil, int64(-15), nil},
		{"e-notation", "1.2e3", nil, int64(1200), nil},
		{"uint8", uint8(7), nil, int64(7), nil},
		{"null text", "NULL", nil, nil, nil},
		{"empty", "", nil, nil, nil},
		{"fraction", "12.5", nil, nil, ErrInvalidValue},
		{"float fraction", 12.5, nil, nil, ErrInvalidValue},
		{"too big", "9223372036854775808", nil, nil, ErrInvalidValue},
		{"range", "51-200", nil, nil, ErrInvalidValue},
		{"words", "many", nil, nil, ErrInvalidValue},
		{"money", "$12", nil, nil, ErrInvalidValue},
		{"bool", true, nil, nil, ErrInvalidValue},
		{"inf", math.Inf(1), nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeDecimal(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeDecimal, []valueCase{
		{"plain keeps scale", "1234.50", nil, "1234.50", nil},
		{"grouped", "1,234.50", nil, "1234.50", nil},
		{"decimal comma without locale", "1.234,50", nil, "1234.50", nil},
		{"decimal comma with locale", "1.234,50", comma, "1234.50", nil},
		{"dollar", "$1,200", nil, "1200", nil},
		{"euro", "€1.200,00", nil, "1200.00", nil},
		{"euro after", "1.200,00 €", comma, "1200.00", nil},
		{"code before", "EUR 1.200,00", nil, "1200.00", nil},
		{"code after", "1200.5 USD", nil, "1200.5", nil},
		{"float", 85000.5, nil, "85000.5", nil},
		{"float money never rounds", 0.1, nil, "0.1", nil},
		{"text float", "85000.5", nil, "85000.5", nil},
		{"parentheses negative", "(1,200.00)", nil, "-1200.00", nil},
		{"parentheses and sign", "($1,200.00)", nil, "-1200.00", nil},
		{"minus before sign", "-$1,200", nil, "-1200", nil},
		{"SAP trailing minus", "1234.50-", nil, "-1234.50", nil},
		{"unicode minus", "−5", nil, "-5", nil},
		{"ambiguous 1,200 reads en", "1,200", nil, "1200", nil},
		{"ambiguous 1.200 reads en", "1.200", nil, "1.200", nil},
		{"1.200 in a comma locale", "1.200", comma, "1200", nil},
		{"1,200 in a comma locale", "1,200", comma, "1.200", nil},
		{"only reading is comma", "12,5", nil, "12.5", nil},
		{"dots grouping", "1.234.567", nil, "1234567", nil},
		{"commas grouping", "1,234,567.891", nil, "1234567.891", nil},
		{"space grouping", "1 234 567,5", nil, "1234567.5", nil},
		{"nbsp grouping", "1\u00a0234,50", comma, "1234.50", nil},
		{"swiss apostrophe", "CHF 1'234.50", nil, "1234.50", nil},
		{"indian grouping", "₹1,23,456.50", nil, "123456.50", nil},
		{"leading point", ".5", nil, "0.5", nil},
		{"zero scale kept", "0.00", nil, "0.00", nil},
		{"e-notation", "1.5E3", nil, "1500", nil},
		{"negative e-notation", "-2.5e-3", nil, "-0.0025", nil},
		{"json.Number", json.Number("19.99"), nil, "19.99", nil},
		{"int", 12, nil, "12", nil},
		{"decimal passes", decimal.RequireFromString("3.140"), nil, "3.140", nil},
		{"big", "123456789012345678901234.5", nil, "123456789012345678901234.5", nil},
		{"uint64 above int64", uint64(math.MaxUint64), nil, "18446744073709551615", nil},
		{"ambiguous sign still reads", "¥1000", nil, "1000", nil},
		{"null", "null", nil, nil, nil},
		{"1,234.50 in a comma locale", "1,234.50", comma, nil, ErrInvalidValue},
		{"1.234,50 in a point locale", "1.234,50", point, nil, ErrInvalidValue},
		{"bad grouping", "1,23", point, nil, ErrInvalidValue},
		{"two points", "1.2.3", point, nil, ErrInvalidValue},
		{"mixed grouping", "1,234 567.5", nil, nil, ErrInvalidValue},
		{"letters", "abc", nil, nil, ErrInvalidValue},
		{"text after", "12 apples", nil, nil, ErrInvalidValue},
		{"two signs", "--5", nil, nil, ErrInvalidValue},
		{"two currencies", "$5 EUR", nil, nil, ErrInvalidValue},
		{"percent refused", "5%", nil, nil, ErrInvalidValue},
		{"only a sign", "$", nil, nil, ErrInvalidValue},
		{"huge exponent", "1e999999", nil, nil, ErrInvalidValue},
		{"too many digits", "1234567890123456789012345678901234567890123456789012345678901234567890", nil, nil, ErrInvalidValue},
		{"tiny float", 1e-300, nil, nil, ErrInvalidValue},
		{"NaN", math.NaN(), nil, nil, ErrInvalidValue},
		{"bool", false, nil, nil, ErrInvalidValue},
		{"object", map[string]any{"amount": 1}, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeBoolean(t *testing.T) {
	t.Parallel()
	var cases []valueCase
	for _, s := range []string{"true", "TRUE", "True", "yes", "YES", "y", "Y", "t", "T", "1", " true "} {
		cases = append(cases, valueCase{"true " + s, s, nil, true, nil})
	}
	for _, s := range []string{"false", "FALSE", "no", "No", "n", "N", "f", "F", "0"} {
		cases = append(cases, valueCase{"false " + s, s, nil, false, nil})
	}
	cases = append(cases,
		valueCase{"bool", true, nil, true, nil},
		valueCase{"int 1", 1, nil, true, nil},
		valueCase{"float 0", 0.0, nil, false, nil},
		valueCase{"json.Number 1", json.Number("1"), nil, true, nil},
		valueCase{"empty", "", nil, nil, nil},
		valueCase{"maybe", "maybe", nil, nil, ErrInvalidValue},
		valueCase{"2", 2, nil, nil, ErrInvalidValue},
		valueCase{"-1", -1, nil, nil, ErrInvalidValue},
		valueCase{"on", "on", nil, nil, ErrInvalidValue},
		valueCase{"object", map[string]any{}, nil, nil, ErrInvalidValue},
	)
	runValueCases(t, TypeBoolean, cases)
}

func TestNormalizeDate(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeDate, []valueCase{
		{"iso", "2025-03-04", nil, "2025-03-04", nil},
		{"iso timestamp keeps the written date", "2025-03-04T23:30:00-05:00", nil, "2025-03-04", nil},
		{"offset", "2025-03-04T10:15:00+05:30", nil, "2025-03-04", nil},
		{"salesforce midnight", "2025-03-04T00:00:00.000+0000", nil, "2025-03-04", nil},
		{"SAP", "20240131", nil, "2024-01-31", nil},
		{"SAP empty date", "00000000", nil, nil, nil},
		{"slashes year first", "2025/03/04", nil, "2025-03-04", nil},
		{"single digits", "2025-3-4", nil, "2025-03-04", nil},
		{"unambiguous day first", "25/03/2025", nil, "2025-03-25", nil},
		{"unambiguous month first", "03/25/2025", nil, "2025-03-25", nil},
		{"same day and month", "04/04/2025", nil, "2025-04-04", nil},
		{"day first locale", "03/04/2025", dayFirst, "2025-04-03", nil},
		{"month first locale", "03/04/2025", monthFirst, "2025-03-04", nil},
		{"dots", "04.03.2025", dayFirst, "2025-03-04", nil},
		{"dashes", "4-3-2025", dayFirst, "2025-03-04", nil},
		{"us with time", "3/4/2025 10:15:00 PM", monthFirst, "2025-03-04", nil},
		{"unix seconds", int64(1741083300), nil, "2025-03-04", nil},
		{"unix millis", int64(1741083300000), nil, "2025-03-04", nil},
		{"unix seconds text", "1741083300", nil, "2025-03-04", nil},
		{"unix millis float", float64(1741083300000), nil, "2025-03-04", nil},
		{"numeric yyyymmdd", 20240131, nil, "2024-01-31", nil},
		{"odata", "/Date(1741083300000)/", nil, "2025-03-04", nil},
		{"month name", "Mar 4, 2025", nil, "2025-03-04", nil},
		{"oracle", "04-Mar-2025", nil, "2025-03-04", nil},
		{"rfc1123", "Tue, 04 Mar 2025 10:15:00 GMT", nil, "2025-03-04", nil},
		{"time.Time in its zone", time.Date(2025, 3, 4, 23, 0, 0, 0, time.FixedZone("", -5*3600)), nil, "2025-03-04", nil},
		{"zero time is null", time.Time{}, nil, nil, nil},
		{"ambiguous", "03/04/2025", nil, nil, ErrAmbiguousValue},
		{"month above 12 day-first", "03/25/2025", dayFirst, nil, ErrInvalidValue},
		{"month above 12 month-first", "25/03/2025", monthFirst, nil, ErrInvalidValue},
		{"two-digit year", "03/04/25", dayFirst, nil, ErrInvalidValue},
		{"no such day", "2025-02-30", nil, nil, ErrInvalidValue},
		{"no such month", "2025-13-01", nil, nil, ErrInvalidValue},
		{"bad SAP", "20241331", nil, nil, ErrInvalidValue},
		{"no such day and month", "31/31/2025", nil, nil, ErrInvalidValue},
		{"words", "next tuesday", nil, nil, ErrInvalidValue},
		{"bad time", "2025-03-04T25:00:00Z", nil, nil, ErrInvalidValue},
		{"bool", true, nil, nil, ErrInvalidValue},
		{"huge epoch", "99999999999999999999", nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeTimestamp(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	runValueCases(t, TypeTimestamp, []valueCase{
		{"canonical", "2025-11-14T09:30:00Z", nil, "2025-11-14T09:30:00Z", nil},
		{"offset", "2025-03-04T10:15:00+05:30", nil, "2025-03-04T04:45:00Z", nil},
		{"negative offset", "2025-03-04T10:15:00-08:00", nil, "2025-03-04T18:15:00Z", nil},
		{"offset without colon", "2025-03-04T10:15:00.000+0000", nil, "2025-03-04T10:15:00Z", nil},
		{"hour offset", "2025-03-04T10:15:00+02", nil, "2025-03-04T08:15:00Z", nil},
		{"fraction kept", "2025-03-04T10:15:00.123456Z", nil, "2025-03-04T10:15:00.123456Z", nil},
		{"fraction trailing zeros dropped", "2025-03-04T10:15:00.500Z", nil, "2025-03-04T10:15:00.5Z", nil},
		{"sql", "2025-03-04 10:15:00", nil, "2025-03-04T10:15:00Z", nil},
		{"sql utc suffix", "2025-03-04 10:15:00 UTC", nil, "2025-03-04T10:15:00Z", nil},
		{"no seconds", "2025-03-04T10:15Z", nil, "2025-03-04T10:15:00Z", nil},
		{"no offset in a location", "2025-03-04T10:15:00", &Locale{Location: ny}, "2025-03-04T15:15:00Z", nil},
		{"date only", "2025-03-04", nil, "2025-03-04T00:00:00Z", nil},
		{"SAP date", "20240131", nil, "2024-01-31T00:00:00Z", nil},
		{"SAP timestamp", "20240131143000", nil, "2024-01-31T14:30:00Z", nil},
		{"unix seconds", int64(1741083300), nil, "2025-03-04T10:15:00Z", nil},
		{"unix seconds text", "1741083300", nil, "2025-03-04T10:15:00Z", nil},
		{"unix seconds fraction", "1741083300.25", nil, "2025-03-04T10:15:00.25Z", nil},
		{"unix millis", int64(1741083300123), nil, "2025-03-04T10:15:00.123Z", nil},
		{"unix millis text", "1741083300123", nil, "2025-03-04T10:15:00.123Z", nil},
		{"unix millis json.Number", json.Number("1741083300123"), nil, "2025-03-04T10:15:00.123Z", nil},
		{"unix millis float", float64(1741083300123), nil, "2025-03-04T10:15:00.123Z", nil},
		{"unix micros", int64(1741083300123456), nil, "2025-03-04T10:15:00.123456Z", nil},
		{"unix nanos", int64(1741083300123456789), nil, "2025-03-04T10:15:00.123456789Z", nil},
		{"negative unix", int64(-86400), nil, "1969-12-31T00:00:00Z", nil},
		{"odata", "/Date(1741083300000+0100)/", nil, "2025-03-04T10:15:00Z", nil},
		{"day first with time", "25/03/2025 14:05", nil, "2025-03-25T14:05:00Z", nil},
		{"am/pm", "03/04/2025 12:05 AM", monthFirst, "2025-03-04T00:05:00Z", nil},
		{"rfc1123", "Tue, 04 Mar 2025 10:15:00 GMT", nil, "2025-03-04T10:15:00Z", nil},
		{"time.Time", time.Date(2025, 3, 4, 10, 15, 0, 0, time.FixedZone("", 19800)), nil, "2025-03-04T04:45:00Z", nil},
		{"null", "NULL", nil, nil, nil},
		{"ambiguous", "03/04/2025 10:00", nil, nil, ErrAmbiguousValue},
		{"bad zone", "2025-03-04T10:15:00+25:00", nil, nil, ErrInvalidValue},
		{"junk after", "2025-03-04T10:15:00 tomorrow", nil, nil, ErrInvalidValue},
		{"bad minute", "2025-03-04T10:75:00Z", nil, nil, ErrInvalidValue},
		{"bad am/pm hour", "3/4/2025 13:00 PM", monthFirst, nil, ErrInvalidValue},
		{"leap second", "2025-03-04T23:59:60Z", nil, nil, ErrInvalidValue},
		{"year zero", "0000-01-01T00:00:00Z", nil, nil, ErrInvalidValue},
		{"bad odata", "/Date(abc)/", nil, nil, ErrInvalidValue},
		{"map", map[string]any{"$date": "x"}, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeEmail, []valueCase{
		{"lower-cased", " Ann.Lee@ACME.com ", nil, "ann.lee@acme.com", nil},
		{"plus", "ann+crm@acme.co.uk", nil, "ann+crm@acme.co.uk", nil},
		{"mailto", "mailto:ann@acme.com?subject=hi", nil, "ann@acme.com", nil},
		{"display name", "Ann Lee <Ann@Acme.com>", nil, "ann@acme.com", nil},
		{"trailing dot host", "ann@acme.com.", nil, "ann@acme.com", nil},
		{"null", "", nil, nil, nil},
		{"no at", "ann.acme.com", nil, nil, ErrInvalidValue},
		{"no local", "@acme.com", nil, nil, ErrInvalidValue},
		{"no domain", "ann@", nil, nil, ErrInvalidValue},
		{"no dot in host", "ann@localhost", nil, nil, ErrInvalidValue},
		{"double dot", "ann..lee@acme.com", nil, nil, ErrInvalidValue},
		{"space", "ann lee@acme.com", nil, nil, ErrInvalidValue},
		{"bad host", "ann@acme..com", nil, nil, ErrInvalidValue},
		{"hyphen label", "ann@-acme.com", nil, nil, ErrInvalidValue},
		{"ip host", "ann@10.0.0.1", nil, nil, ErrInvalidValue},
		{"number", 12, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeDomain, []valueCase{
		{"url", "https://www.Acme.com/about", nil, "acme.com", nil},
		{"bare", "acme.com", nil, "acme.com", nil},
		{"www only", "www.acme.com", nil, "acme.com", nil},
		{"port and query", "http://shop.acme.co.uk:8080/?q=1#x", nil, "shop.acme.co.uk", nil},
		{"email", "ann@Acme.com", nil, "acme.com", nil},
		{"mailto", "mailto:ann@acme.com", nil, "acme.com", nil},
		{"userinfo", "https://user:pw@acme.com/x", nil, "acme.com", nil},
		{"scheme-relative", "//acme.com/x", nil, "acme.com", nil},
		{"www is the name", "www.com", nil, "www.com", nil},
		{"trailing dot", "acme.com.", nil, "acme.com", nil},
		{"null", "  ", nil, nil, nil},
		{"no dot", "localhost", nil, nil, ErrInvalidValue},
		{"ip", "http://192.168.0.1/", nil, nil, ErrInvalidValue},
		{"space", "acme corp.com", nil, nil, ErrInvalidValue},
		{"empty label", "acme..com", nil, nil, ErrInvalidValue},
		{"only scheme", "https://", nil, nil, ErrInvalidValue},
		{"object", map[string]any{"url": "x"}, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, region string
		raw          any
		want         string
		err          error
	}{
		{"e164", "", "+1 415-555-0100", "+14155550100", nil},
		{"us with region", "US", "(415) 555-0100", "+14155550100", nil},
		{"uk with region", "GB", "020 7946 0958", "+442079460958", nil},
		{"de with region", "DE", "030 123456", "+4930123456", nil},
		{"international prefix without region", "", "0044 20 7946 0958", "+442079460958", nil},
		{"digits only without region", "", "(415) 555-0100", "4155550100", nil},
		{"extension dropped", "US", "415-555-0100 x123", "+14155550100", nil},
		{"tel uri", "", "tel:+1-415-555-0100", "+14155550100", nil},
		{"number value", "US", float64(4155550100), "+14155550100", nil},
		{"vanity", "US", "1-800-FLOWERS", "+18003569377", nil},
		{"letters without region", "", "call me", "", ErrInvalidValue},
		{"too short", "", "12", "", ErrInvalidValue},
		{"too long", "", "1234567890123456789", "", ErrInvalidValue},
		{"bad country code", "", "+999 1234 5678", "", ErrInvalidValue},
		{"not possible", "US", "123", "", ErrInvalidValue},
		{"null", "", "", "", ErrNoValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizePhone(tc.raw, tc.region)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("NormalizePhone(%v, %q) = %q, %v; want %v", tc.raw, tc.region, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizePhone(%v, %q) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
			}
		})
	}
}

func TestNormalizeCurrency(t *testing.T) {
	t.Parallel()
	cad := &Locale{Symbols: map[string]string{"$": "CAD"}}
	runValueCases(t, TypeCurrency, []valueCase{
		{"code", "usd", nil, "USD", nil},
		{"code upper", " EUR ", nil, "EUR", nil},
		{"euro sign", "€", nil, "EUR", nil},
		{"pound sign", "£", nil, "GBP", nil},
		{"real", "R$", nil, "BRL", nil},
		{"name", "Euro", nil, "EUR", nil},
		{"dollar by config", "$", cad, "CAD", nil},
		{"yen by locale", "¥", &Locale{Symbols: map[string]string{"¥": "JPY"}}, "JPY", nil},
		{"null", "", nil, nil, nil},
		{"dollar ambiguous", "$", nil, nil, ErrAmbiguousValue},
		{"yen ambiguous", "¥", nil, nil, ErrAmbiguousValue},
		{"unknown code", "XYZ", nil, nil, ErrInvalidValue},
		{"words", "money", nil, nil, ErrInvalidValue},
		{"number", 840, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizeCountry(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypeCountry, []valueCase{
		{"alpha-2", "us", nil, "US", nil},
		{"alpha-3", "DEU", nil, "DE", nil},
		{"alpha-3 usa", "USA", nil, "US", nil},
		{"english", "Germany", nil, "DE", nil},
		{"english case", "UNITED KINGDOM", nil, "GB", nil},
		{"long form", "United States of America", nil, "US", nil},
		{"native", "Deutschland", nil, "DE", nil},
		{"native accent", "España", nil, "ES", nil},
		{"native umlaut", "Österreich", nil, "AT", nil},
		{"uk alias", "UK", nil, "GB", nil},
		{"dotted", "U.S.A.", nil, "US", nil},
		{"ampersand", "Trinidad and Tobago", nil, "TT", nil},
		{"cldr ampersand", "Trinidad & Tobago", nil, "TT", nil},
		{"apostrophe", "Côte d’Ivoire", nil, "CI", nil},
		{"namibia is not null", "NA", nil, "NA", nil},
		{"null", "", nil, nil, nil},
		{"unknown code", "XX", nil, nil, ErrInvalidValue},
		{"unknown name", "Atlantis", nil, nil, ErrInvalidValue},
		{"number", 276, nil, nil, ErrInvalidValue},
	})
}

func TestNormalizePercent(t *testing.T) {
	t.Parallel()
	runValueCases(t, TypePercent, []valueCase{
		{"fraction auto", 0.35, nil, "35", nil},
		{"fraction text auto", "0.355", nil, "35.5", nil},
		{"hundred auto", 35, nil, "35", nil},
		{"hundred text auto", "35.5", nil, "35.5", nil},
		{"sign", "35%", nil, "35", nil},
		{"sign decimal comma", "35,5 %", nil, "35.5", nil},
		{"zero", 0, nil, "0", nil},
		{"null", "", nil, nil, nil},
		{"one is ambiguous", 1, nil, nil, ErrAmbiguousValue},
		{"one text is ambiguous", "1.0", nil, nil, ErrAmbiguousValue},
		{"money", "$5", nil, nil, ErrInvalidValue},
		{"words", "high", nil, nil, ErrInvalidValue},
	})
	for _, tc := range []struct {
		raw   any
		scale PercentScale
		want  string
		err   error
	}{
		{1, ScaleFraction, "100", nil},
		{"1.00", ScaleFraction, "100", nil},
		{"0.3550", ScaleFraction, "35.50", nil},
		{0.5, ScaleFraction, "50", nil},
		{1, ScaleHundred, "1", nil},
		{0.5, ScaleHundred, "0.5", nil},
		{"80%", ScaleFraction, "80", nil},
		{35, ScaleFraction, "", ErrInvalidValue},
	} {
		got, err := NormalizePercent(tc.raw, tc.scale, nil)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("NormalizePercent(%v, %v) = %v, %v; want %v", tc.raw, tc.scale, got, err, tc.err)
			}
			continue
		}
		if err != nil || decString(got) != tc.want {
			t.Errorf("NormalizePercent(%v, %v) = %v, %v; want %s", tc.raw, tc.scale, decString(got), err, tc.want)
		}
	}
}

func TestInferPercentScale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		values []any
		want   PercentScale
	}{
		{[]any{0.1, 0.25, 1.0, 0}, ScaleFraction},
		{[]any{"0.1", "0.9", nil, "n/a"}, ScaleFraction},
		{[]any{10, 20, 100, 0}, ScaleHundred},
		{[]any{0.5, 50}, ScaleHundred},
		{[]any{"35%"}, ScaleHundred},
		{[]any{0, 1, 1, 0}, ScaleAuto},
		{[]any{}, ScaleAuto},
		{[]any{"x", true}, ScaleAuto},
	} {
		if got := InferPercentScale(tc.values); got != tc.want {
			t.Errorf("InferPercentScale(%v) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestTypedNormalizersReportNull(t *testing.T) {
	t.Parallel()
	checks := map[string]error{}
	_, checks["string"] = NormalizeString(" ")
	_, checks["integer"] = NormalizeInteger(nil, nil)
	_, checks["decimal"] = NormalizeDecimal("", nil)
	_, checks["boolean"] = NormalizeBoolean(nil)
	_, checks["date"] = NormalizeDate("00000000", nil)
	_, checks["timestamp"] = NormalizeTimestamp("null", nil)
	_, checks["email"] = NormalizeEmail("")
	_, checks["domain"] = NormalizeDomain(nil)
	_, checks["currency"] = NormalizeCurrency("", nil)
	_, checks["country"] = NormalizeCountry(nil)
	_, checks["percent"] = NormalizePercent("", ScaleAuto, nil)
	for name, err := range checks {
		if !errors.Is(err, ErrNoValue) {
			t.Errorf("%s: null input gave %v, want ErrNoValue", name, err)
		}
	}
	if _, err := NormalizeValue("money", "1", nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestValueErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := NormalizeDate("03/04/2025", nil)
	want := `canonical: date "03/04/2025": day and month can be read either way round: declare a date order`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestParseLocale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tag    string
		order  DateOrder
		sep    rune
		region string
		dollar string
	}{
		{"en-US", MonthFirst, '.', "US", "USD"},
		{"en_GB", DayFirst, '.', "GB", ""},
		{"de-DE", DayFirst, ',', "DE", ""},
		{"de-CH", DayFirst, '.', "CH", ""},
		{"fr-CA", DateOrderUnknown, ',', "CA", "CAD"},
		{"es-MX", DayFirst, '.', "MX", ""},
		{"ja-JP", DateOrderUnknown, '.', "JP", ""},
	} {
		l, err := ParseLocale(tc.tag)
		if err != nil {
			t.Fatalf("ParseLocale(%q): %v", tc.tag, err)
		}
		if l.DateOrder != tc.order || l.DecimalSeparator != tc.sep || l.Region != tc.region || l.Symbols["$"] != tc.dollar {
			t.Errorf("ParseLocale(%q) = %+v", tc.tag, l)
		}
	}
	for _, bad := range []string{"xx-US", "en-QQ", "", "de-Germany"} {
		if _, err := ParseLocale(bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("ParseLocale(%q) = %v, want ErrInvalidValue", bad, err)
		}
	}
	de, _ := ParseLocale("de-DE")
	if d, err := NormalizeDecimal("1.200", &de); err != nil || decString(d) != "1200" {
		t.Errorf("de-DE 1.200 = %v, %v", d, err)
	}
}

// decString renders a Decimal or decimal.Decimal with its scale.
func decString(v any) string {
	switch d := v.(type) {
	case Decimal:
		return d.String()
	case decimal.Decimal:
		return DecimalString(d)
	}
	return "not a decimal"
}

type (
	mongoDateTime int64  // like primitive.DateTime: unix milliseconds
	stageName     string // a driver's named string
	objectID      [2]byte
)

func (o objectID) String() string { return "5f1a" }

func TestNamedTypes(t *testing.T) {
	t.Parallel()
	ts, err := NormalizeTimestamp(mongoDateTime(1741083300123), nil)
	if err != nil || ts != "2025-03-04T10:15:00.123Z" {
		t.Errorf("DateTime: %q %v", ts, err)
	}
	s, err := NormalizeString(stageName(" Won "))
	if err != nil || s != "Won" {
		t.Errorf("named string: %q %v", s, err)
	}
	s, err = NormalizeString(objectID{})
	if err != nil || s != "5f1a" {
		t.Errorf("Stringer: %q %v", s, err)
	}
	i, err := NormalizeInteger(int16(-3), nil)
	if err != nil || i != -3 {
		t.Errorf("int16: %d %v", i, err)
	}
	var nilStr *string
	if v, err := NormalizeValue(TypeString, nilStr, nil); v != nil || err != nil {
		t.Errorf("nil *string: %v %v", v, err)
	}
	p := 42
	if d, err := NormalizeDecimal(&p, nil); err != nil || d.String() != "42" {
		t.Errorf("*int: %v %v", d, err)
	}
}

func TestDecimalFormat(t *testing.T) {
	t.Parallel()
	d, err := NewDecimal("1234.50")
	if err != nil {
		t.Fatal(err)
	}
	neg, err := NewDecimal("-0.0250")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		arg    any
		want   string
	}{
		{"%v", d, "1234.50"},
		{"%s", d, "1234.50"},
		{"%v", &d, "1234.50"},
		{"%v", neg, "-0.0250"},
		{"%v", Decimal{}, "0"},
		{"%10v", d, "   1234.50"},
		{"%-9s|", d, "1234.50  |"},
		{"%q", d, `"1234.50"`},
		{"%x", d, "313233342e3530"},
		{"%.1f", d, "1234.5"},
		{"%f", neg, "-0.025"},
		{"%#v", d, "decimal.New(123450, -2)"},
		{"%v", map[string]any{"amount": d}, "map[amount:1234.50]"},
		{"%d", d, "%!d(decimal.Decimal=1234.5)"},
	} {
		if got := fmt.Sprintf(c.format, c.arg); got != c.want {
			t.Errorf("Sprintf(%q, %s) = %q, want %q", c.format, d.String(), got, c.want)
		}
	}
}
