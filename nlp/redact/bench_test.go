package redact

import (
	"fmt"
	"strings"
	"testing"
)

// mixedText builds about n bytes of business prose: mostly plain text,
// numbers, dates, prices and identifiers that are not personal data, with
// one value of each type every few lines.
func mixedText(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "Q3 pipeline review: %d opportunities worth $1,234,%03d.89 moved to proposal; win rate 31.5%% (up from 27.0%%). ", 40+i%9, i%1000)
		fmt.Fprintf(&b, "Order ORD-2026-%06d shipped 2026-11-20 via UPS 1Z999AA1012345%04d; invoice INV-%08d due 11/30/2026. ", i, i%10000, i)
		fmt.Fprintf(&b, "Contact anna.smith%d@acme.com or call (212) 867-%04d about the renewal of contract C-%d before Friday. ", i, 2000+i%8000, i)
		fmt.Fprintf(&b, "The sync job on host 10.20.%d.%d logged 3 warnings at 14:05:33; release v1.2.3 fixes the drift detector. ", i/256%256, i%256)
		b.WriteString("Refund EUR 12.500,00 to IBAN DE89 3704 0044 0532 0130 00 and confirm with the treasury team by e-mail. ")
		fmt.Fprintf(&b, "Customer reported card %s declined twice; the chargeback reason code is 4837 per the bank. ", benchCard(i))
		b.WriteString("Meeting notes: the COO asked for weekly activity counts per region, and the CFO for overdue invoice totals. ")
		fmt.Fprintf(&b, "Gateway 2001:db8:85a3::8a2e:370:%x answered health checks in 12 ms; p95 latency was 48.2 ms overall. ", i%65536)
		fmt.Fprintf(&b, "HR asked to remove SSN 123-45-%04d from the shared spreadsheet; ISBN 978-3-16-148410-0 is the handbook. ", 1+i%9999)
		b.WriteString("Lead source webinar, 118 sign-ups, 23 demos booked, pipeline stage discovery, owner Lukas Novak (EMEA).\n")
	}
	return b.String()
}

// benchCard returns a distinct Luhn-valid Visa number for i.
func benchCard(i int) string {
	d := []byte(fmt.Sprintf("4111%011d", i))
	for c := byte('0'); c <= '9'; c++ {
		if luhn(append(d[:15:15], c)) {
			d = append(d[:15:15], c)
			break
		}
	}
	return fmt.Sprintf("%s %s %s %s", d[0:4], d[4:8], d[8:12], d[12:16])
}

func BenchmarkRedactMixed(b *testing.B) {
	text := mixedText(1 << 20)
	r := Default()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd := r.Redact(text)
		if rd.Count == 0 {
			b.Fatal("nothing redacted")
		}
	}
	b.ReportMetric(float64(len(text))*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
}

func BenchmarkRedactPlain(b *testing.B) {
	text := strings.Repeat("The quarterly review covers pipeline, invoices, activities and system health for every region. ", 10000)
	r := Default()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(text)
	}
	b.ReportMetric(float64(len(text))*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
}
