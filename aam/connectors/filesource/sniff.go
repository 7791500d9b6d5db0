package filesource

// candidates are the delimiters sniffing chooses among, in the order
// that breaks ties.
var candidates = [...]byte{',', ';', '\t', '|'}

// sniff picks the delimiter of CSV text from its first lines (at most
// 20 complete lines, outside quotes): the candidate found the same non-zero number of
// times on every line, the most frequent one among those; failing that,
// the most frequent on the first line; failing that, a comma.
func sniff(data []byte) byte {
	var counts [20][len(candidates)]int
	lines := 0
	inQuote := false
	for i := 0; i < len(data) && lines < len(counts); i++ {
		c := data[i]
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if c == '\n' {
			lines++
			continue
		}
		for k, d := range candidates {
			if c == d {
				counts[lines][k]++
			}
		}
	}
	if lines == 0 {
		lines = 1 // one line without its end: judge by it alone
	}
	best, bestN := -1, 0
	for k := range candidates {
		n := counts[0][k]
		if n == 0 {
			continue
		}
		same := true
		for l := 1; l < lines; l++ {
			if counts[l][k] != n {
				same = false
				break
			}
		}
		if same && n > bestN {
			best, bestN = k, n
		}
	}
	if best >= 0 {
		return candidates[best]
	}
	for k := range candidates {
		if counts[0][k] > bestN {
			best, bestN = k, counts[0][k]
		}
	}
	if best >= 0 {
		return candidates[best]
	}
	return ','
}
