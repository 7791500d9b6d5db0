package canonical

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestCivilDays(t *testing.T) {
	t.Parallel()
	for z := int64(minUnix / 86400); z <= maxUnix/86400; z += 7 {
		y, m, d := civilFromDays(z)
		want := time.Unix(z*86400, 0).UTC()
		if y != want.Year() || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %s", z, y, m, d, want)
		}
		if back := daysFromCivil(y, m, d); back != z {
			t.Fatalf("daysFromCivil(%d-%d-%d) = %d, want %d", y, m, d, back, z)
		}
	}
}

// TestFastISOMatchesTimeParse checks the fast timestamp path against the
// standard library on random timestamps with offsets and fractions.
func TestFastISOMatchesTimeParse(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		sec := r.Int64N(maxUnix-minUnix-2*86400) + minUnix + 86400
		off := (r.IntN(28*4) - 14*4) * 15 * 60
		tm := time.Unix(sec, 0).In(time.FixedZone("", off))
		frac := ""
		if r.IntN(2) == 0 {
			frac = fmt.Sprintf(".%0*d", 1+r.IntN(9), r.IntN(1000))
		}
		zone := tm.Format("-07:00")
		switch r.IntN(3) {
		case 0:
			zone = tm.Format("-0700")
		case 1:
			if off == 0 {
				zone = "Z"
			}
		}
		s := tm.Format("2006-01-02T15:04:05") + frac + zone
		want, err := time.Parse(time.RFC3339Nano, tm.Format("2006-01-02T15:04:05")+frac+tm.Format("Z07:00"))
		if err != nil {
			t.Fatal(err)
		}
		sec2, nsec, ok := fastISO(s)
		if !ok {
			t.Fatalf("fastISO(%q) refused", s)
		}
		if got := string(appendUnixUTC(nil, sec2, nsec)); got != string(appendTimestamp(nil, want)) {
			t.Fatalf("fastISO(%q) = %s, want %s", s, got, appendTimestamp(nil, want))
		}
	}
	for _, bad := range []string{"2025-02-29T00:00:00Z", "2025-03-04T24:00:00Z", "2025-03-04T10:15:00+24:00", "2025-03-04T10:15:00+05:60",
		"2025-03-04T10:15:00", "2025-03-04T10:15:00.Z", "2025-03-04T10:15:00.1234567890Z", "0000-12-31T23:00:00-02:00"} {
		if _, _, ok := fastISO(bad); ok {
			t.Errorf("fastISO(%q) accepted", bad)
		}
	}
}
