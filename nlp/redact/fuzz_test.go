package redact

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"",
	"mail a@b.co, call +1 212 867 5309, card 4111 1111 1111 1111",
	"IBAN DE89 3704 0044 0532 0130 00 SSN 123-45-6789 ip 10.0.0.1 and 2001:db8::1",
	"[EMAIL_1] literal x@y.com [EMAIL_2]",
	"A@B.CO a@b.co a@b.co",
	"::ffff:192.0.2.1:::1.2.3.4.5",
	"(212) 867-5309(212) 867-5309",
	"4111111111111111@acme.com",
	"+44 20 7946 0958 0049 89 123456789",
}

// expectedRestore is x with each detected value replaced by the first
// spelling of the same normalized value: what Restore(Redact(x)) must be.
func expectedRestore(x string, spans []Span) string {
	first := map[valueKey]string{}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		k := valueKey{s.Type, s.norm}
		v, ok := first[k]
		if !ok {
			v = x[s.Start:s.End]
			first[k] = v
		}
		b.WriteString(x[last:s.Start])
		b.WriteString(v)
		last = s.End
	}
	b.WriteString(x[last:])
	return b.String()
}

func FuzzRedact(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	r := Default()
	f.Fuzz(func(t *testing.T, x string) {
		spans := r.Find(x)
		for i, s := range spans {
			if s.Start < 0 || s.End > len(x) || s.Start >= s.End || (i > 0 && spans[i-1].End > s.Start) {
				t.Fatalf("bad span %+v (previous %+v) in %q", s, spans[max(i-1, 0)], x)
			}
		}
		rd := r.Redact(x)
		if rd.Count < len(spans) {
			t.Fatalf("Count %d, Find %d spans in %q", rd.Count, len(spans), x)
		}
		// No detected value is left in the output.
		if again := r.Find(rd.Text); len(again) > 0 {
			s := again[0]
			t.Fatalf("redacted text %q still holds %s %q (input %q)", rd.Text, s.Type, rd.Text[s.Start:s.End], x)
		}
		got := rd.Restore(rd.Text)
		if rd.Count == len(spans) {
			// One round: exactly x, with equal values in their first spelling.
			if want := expectedRestore(x, spans); got != want {
				t.Fatalf("Restore(Redact(%q)) = %q, want %q", x, want, got)
			}
		}
		// Whatever the rounds, redacting the restored text again gives
		// the same masked text.
		if again := r.Redact(got).Text; again != rd.Text {
			t.Fatalf("Redact(Restore(Redact(%q))) = %q, want %q", x, again, rd.Text)
		}
	})
}

// FuzzRestoreOutput checks that LLM output mixing issued placeholders,
// foreign placeholders and new values round-trips through RedactOutput
// and Restore.
func FuzzRestoreOutput(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "Reply to [EMAIL_1] or b@c.io about [PHONE_7].")
	}
	r := Default()
	f.Fuzz(func(t *testing.T, in, out string) {
		rd := r.Redact(in)
		spans := r.Find(out)
		masked, n := rd.RedactOutput(out)
		if n < len(spans) {
			t.Fatalf("RedactOutput replaced %d, Find has %d in %q", n, len(spans), out)
		}
		if again := r.Find(masked); len(again) > 0 {
			t.Fatalf("masked output %q still holds %s", masked, again[0].Type)
		}
		restored := rd.Restore(masked)
		// Every placeholder the Redaction issued is restored.
		eachPlaceholder(restored, func(a, b int) {
			if _, issued := rd.orig[restored[a:b]]; issued {
				t.Fatalf("Restore left issued placeholder %s in %q", restored[a:b], restored)
			}
		})
		if n > 0 && len(r.Find(restored)) < n {
			t.Fatalf("restored output %q lost values: %d < %d", restored, len(r.Find(restored)), n)
		}
	})
}
