package redact

// luhn reports whether the digit string d passes the Luhn check.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// validSSN applies the Social Security Administration's rules to nine
// digits: area 000, 666 and 900-999, group 00 and serial 0000 are never
// issued.
func validSSN(d []byte) bool {
	area := string(d[:3])
	if area == "000" || area == "666" || area[0] == '9' {
		return false
	}
	return string(d[3:5]) != "00" && string(d[5:]) != "0000"
}

// ibanLengths is the IBAN length per country (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
	"BG": 22, "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22,
	"CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20,
	"EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22,
	"GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
	"IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
	"KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
	"MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
	"SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29,
	"VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// matchIBAN matches an IBAN starting at s[i] (two letters of either case
// and two digits already seen): the country's length of letters and digits,
// optionally printed in groups of four separated by single spaces, with
// a mod-97 remainder of 1. It returns the end and the compact upper-case
// form; for an IBAN-shaped text with a bad checksum it returns the end
// and false, so the caller can skip it.
func matchIBAN(s string, i int) (int, string, bool) {
	cc := [2]byte{s[i] &^ 0x20, s[i+1] &^ 0x20} // upper-case
	want := ibanLengths[string(cc[:])]
	if want == 0 {
		return 0, "", false
	}
	var buf [34]byte
	nc := 0
	j := i
	for j < len(s) && nc < want {
		c := s[j]
		k := class[c]
		switch {
		case k&(cDigit|cUpper) != 0:
			buf[nc] = c
		case k&cLower != 0:
			buf[nc] = c - ('a' - 'A')
		case c == ' ' && nc > 0 && nc%4 == 0 && j+1 < len(s) && isAlnum(s[j+1]):
			j++
			continue
		default:
			return 0, "", false
		}
		nc++
		j++
	}
	if nc != want || (j < len(s) && isWord(s[j])) {
		return 0, "", false
	}
	shaped := j // IBAN-shaped from here on: the caller skips it even if invalid
	iban := buf[:nc]
	// Move the first four characters to the end; letters count 10..35.
	rem := 0
	for k := 0; k < nc; k++ {
		c := iban[(k+4)%nc]
		if c >= 'A' {
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	if rem != 1 {
		return shaped, "", false
	}
	return j, string(iban), true
}
