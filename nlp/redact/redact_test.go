package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestFindTypes(t *testing.T) {
	t.Parallel()
	r := Default()
	cases := []struct {
		text string
		want []string // "TYPE:value"
	}{
		{"mail Anna.Smith+crm@Mail.Acme.co.uk.", []string{"EMAIL:Anna.Smith+crm@Mail.Acme.co.uk"}},
		{"card 4111-1111-1111-1111 ok", []string{"CARD:4111-1111-1111-1111"}},
		{"amex 3782 822463 10005", []string{"CARD:3782 822463 10005"}},
		{"card 4111 1111 1111 1112 bad luhn", nil},
		{"ISBN 978-3-16-148410-0", nil},
		{"iban GB82WEST12345698765432 and GB82 WEST 1234 5698 7654 33", []string{"IBAN:GB82WEST12345698765432"}},
		{"ssn 078-05-1120, 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000", []string{"SSN:078-05-1120"}},
		{"SSN: 078051120", []string{"SSN:078051120"}},
		{"order 078051120", nil},
		{"hosts 192.168.1.10:8080, 256.1.1.1, 10.0.0.01 and 1.2.3", []string{"IPV4:192.168.1.10"}},
		{"v6 [2001:db8::1]:443 and ::ffff:192.0.2.1 and 12:30:45 and 00:1A:2B:3C:4D:5E", []string{"IPV6:2001:db8::1", "IPV6:::ffff:192.0.2.1"}},
		{"call (212) 867-5309 or +44 20 7946 0958", []string{"PHONE:(212) 867-5309", "PHONE:+44 20 7946 0958"}},
		{"date 2026-11-22 14:05, price $1,234.56, ORD-2026-004512", nil},
		{"phone 2128675309", []string{"PHONE:2128675309"}},
		{"id 2128675309", nil},
	}
	for _, c := range cases {
		var got []string
		for _, s := range r.Find(c.text) {
			got = append(got, s.Type.String()+":"+c.text[s.Start:s.End])
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Find(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func TestRedactRestore(t *testing.T) {
	t.Parallel()
	in := "From ANNA@acme.com to anna@ACME.com and bob@acme.com; card 4111 1111 1111 1111 = 4111-1111-1111-1111; literal [EMAIL_2] stays."
	rd := Redact(in)
	want := "From [EMAIL_1] to [EMAIL_1] and [EMAIL_3]; card [CARD_1] = [CARD_1]; literal [EMAIL_2] stays."
	if rd.Text != want {
		t.Fatalf("Text = %q\nwant   %q", rd.Text, want)
	}
	if rd.Count != 5 || rd.Counts[Email] != 3 || rd.Counts[Card] != 2 || rd.Len() != 3 {
		t.Errorf("Count %d Counts %v Len %d", rd.Count, rd.Counts, rd.Len())
	}
	// Equal values restore to their first spelling; the literal stays.
	got := rd.Restore(rd.Text)
	if wantR := "From ANNA@acme.com to ANNA@acme.com and bob@acme.com; card 4111 1111 1111 1111 = 4111 1111 1111 1111; literal [EMAIL_2] stays."; got != wantR {
		t.Errorf("Restore = %q", got)
	}
	// LLM output: known values reuse placeholders, new ones get new ones.
	out, n := rd.RedactOutput("Ask bob@acme.com or carol@acme.com about [CARD_1]; see [PHONE_9].")
	if n != 2 || out != "Ask [EMAIL_3] or [EMAIL_4] about [CARD_1]; see [PHONE_9]." {
		t.Errorf("RedactOutput = %q, %d", out, n)
	}
	if rd.Count != 5 {
		t.Errorf("RedactOutput changed Count to %d", rd.Count)
	}
	if got := rd.Restore(out); got != "Ask bob@acme.com or carol@acme.com about 4111 1111 1111 1111; see [PHONE_9]." {
		t.Errorf("Restore(output) = %q", got)
	}
	// Mappings are per Redaction: another one knows only its own values.
	if other := Redact("no personal data"); other.Restore(rd.Text) != rd.Text {
		t.Error("an empty Redaction restored placeholders")
	}
	if got := Redact("x@y.com").Restore("[EMAIL_1] [CARD_1]"); got != "x@y.com [CARD_1]" {
		t.Errorf("another Redaction restored %q", got)
	}
}

func TestRedactionNeverShowsValues(t *testing.T) {
	t.Parallel()
	rd := Redact("secret anna@acme.com and 078-05-1120")
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("redacted", "r", rd)
	js, err := json.Marshal(rd)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"String": rd.String(), "%#v": fmt.Sprintf("%#v", rd), "%v": fmt.Sprintf("%v", rd), "slog": logs.String(), "json": string(js)} {
		if strings.Contains(s, "anna") || strings.Contains(s, "078-05") {
			t.Errorf("%s shows a value: %s", name, s)
		}
		if name != "json" && !strings.Contains(s, "2") {
			t.Errorf("%s does not show the count: %s", name, s)
		}
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := New(&Config{Types: []Type{99}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad type: %v", err)
	}
	if _, err := New(&Config{PhoneRegions: []string{"XX"}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad region: %v", err)
	}
	r, err := New(&Config{Types: []Type{Email}, PhoneRegions: []string{"gb"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Redact("a@b.co 4111 1111 1111 1111").Text; got != "[EMAIL_1] 4111 1111 1111 1111" {
		t.Errorf("email only: %q", got)
	}
	gb, err := New(&Config{PhoneRegions: []string{"GB", "US"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := gb.Redact("ring 020 7946 0958 or (212) 867-5309").Counts[Phone]; got != 2 {
		t.Errorf("GB+US national numbers: %d phones", got)
	}
	if got := Default().Redact("ring 020 7946 0958").Counts[Phone]; got != 0 {
		t.Errorf("US default found a GB national number")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	rd := Redact("anna@acme.com called from 10.0.0.1")
	done := make(chan string, 8)
	for i := range 8 {
		go func() {
			out, _ := rd.RedactOutput(fmt.Sprintf("mail u%d@acme.com and [EMAIL_1]", i))
			done <- rd.Restore(out)
		}()
	}
	seen := map[string]bool{}
	for range 8 {
		s := <-done
		if strings.Contains(s, "[EMAIL_") || !strings.Contains(s, "anna@acme.com") {
			t.Errorf("restored %q", s)
		}
		seen[s] = true
	}
	if len(seen) != 8 || rd.Len() != 10 {
		t.Errorf("%d distinct outputs, %d mapped values; want 8 and 10", len(seen), rd.Len())
	}
}

func TestZeroRedaction(t *testing.T) {
	t.Parallel()
	var rd Redaction
	if got := rd.Restore("[EMAIL_1]"); got != "[EMAIL_1]" {
		t.Errorf("zero Restore = %q", got)
	}
	out, n := rd.RedactOutput("write to a@b.co")
	if n != 1 || out != "write to [EMAIL_1]" || rd.Restore(out) != "write to a@b.co" {
		t.Errorf("zero RedactOutput = %q, %d", out, n)
	}
}
