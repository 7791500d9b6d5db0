package canonical

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"

	"github.com/shopspring/decimal"
)

// Decimal is the Go type of decimal and percent values in Event.Data: an
// exact decimal from shopspring/decimal (all its methods are promoted)
// whose text and JSON forms keep the scale the source wrote: "1234.50",
// where decimal.Decimal would write "1234.5". In JSON it is a string, so
// that no consumer reads it into a float. The zero value is 0.
type Decimal struct {
	decimal.Decimal
}

// NewDecimal parses s ("1234.50", "-0.5", "1e3") into a Decimal that
// keeps its scale.
func NewDecimal(s string) (Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("%w: %q is not a decimal", ErrInvalidValue, cut(s, 64))
	}
	return Decimal{d}, nil
}

// String returns d in plain digits with its scale ("1234.50").
func (d Decimal) String() string { return DecimalString(d.Decimal) }

// Format implements fmt.Formatter. decimal.Decimal's Format would be
// promoted otherwise and print "1234.5" for %v; Decimal prints its exact
// text with the scale for %v, %s, %q, %x and %X, and leaves %#v, %f and
// the other verbs to decimal.Decimal.
func (d Decimal) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's', 'q', 'x', 'X':
		if verb == 'v' && f.Flag('#') {
			break
		}
		_, hasWidth := f.Width()
		_, hasPrec := f.Precision()
		if (verb == 'v' || verb == 's') && !hasWidth && !hasPrec && !f.Flag('-') {
			_, _ = io.WriteString(f, d.String())
			return
		}
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), d.String())
		return
	}
	d.Decimal.Format(f, verb)
}

// MarshalText implements encoding.TextMarshaler with [Decimal.String].
func (d Decimal) MarshalText() ([]byte, error) { return appendDecimal(nil, d.Decimal), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := NewDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes d as a JSON string that keeps its scale.
func (d Decimal) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 24)
	b = append(b, '"')
	b = appendDecimal(b, d.Decimal)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a JSON string or number, keeping its scale.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return fmt.Errorf("%w: bad JSON string", ErrInvalidValue)
		}
		return d.UnmarshalText([]byte(s))
	}
	return d.UnmarshalText(b)
}

// Value implements driver.Valuer: the text with its scale.
func (d Decimal) Value() (driver.Value, error) { return d.String(), nil }

// appendDecimal appends d as events carry it: plain digits with the
// scale d has ("1234.50"), never e-notation.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	if e := d.Exponent(); e < 0 {
		return append(b, d.StringFixed(-e)...)
	}
	return append(b, d.String()...)
}

// DecimalString returns d as canonical events carry it: plain digits
// with the scale d has ("1234.50", not "1234.5"), never e-notation.
func DecimalString(d decimal.Decimal) string {
	return string(appendDecimal(nil, d))
}
