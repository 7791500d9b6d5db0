package redact

// Type is the kind of personal data a span holds. The zero value is not a
// valid type.
type Type uint8

// The detected types, in the order used to break ties between overlapping
// candidates of the same length (earlier wins).
const (
	Email Type = iota + 1
	IBAN
	Card
	SSN
	IPv6
	IPv4
	Phone
	numTypes = iota + 1
)

var typeNames = [...]string{"", "EMAIL", "IBAN", "CARD", "SSN", "IPV6", "IPV4", "PHONE"}

// Types lists every detected type in tie-break order.
func Types() []Type { return []Type{Email, IBAN, Card, SSN, IPv6, IPv4, Phone} }

// String returns the upper-case name used in placeholders, e.g. "EMAIL".
func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return "UNKNOWN"
}

// ParseType returns the Type named by s ("EMAIL", "PHONE", ...), as
// printed by [Type.String].
func ParseType(s string) (Type, bool) {
	for i := 1; i < len(typeNames); i++ {
		if typeNames[i] == s {
			return Type(i), true
		}
	}
	return 0, false
}

// Span is one detected value: text[Start:End] is of type Type. Spans
// returned by [Redactor.Find] are sorted by Start and never overlap.
type Span struct {
	Type  Type
	Start int
	End   int
	// norm is the normalized value used to give equal values the same
	// placeholder (lower-case e-mail, E.164 phone, digits of a card, ...).
	norm string
}
