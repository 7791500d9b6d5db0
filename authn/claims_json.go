package authn

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// UnmarshalJSON decodes the claims of a token. Tokens this package issues
// hold a flat object of known keys with plain values; such input takes a
// fast path without reflection (decoding is most of a verification's
// cost). Anything else, from escapes and unknown keys to duplicate keys,
// goes to encoding/json, with the same result (FuzzClaimsJSON checks
// that). The signature is checked either way.
func (c *wireClaims) UnmarshalJSON(b []byte) error {
	if fastClaims(b, c) {
		return nil
	}
	type plain wireClaims // no UnmarshalJSON method: no recursion
	*c = wireClaims{}
	return json.Unmarshal(b, (*plain)(c))
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string at b[i] that holds no escape, no
// control character and only valid UTF-8, and returns it and the index
// after its closing quote.
func plainString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !utf8.Valid(b[i+1 : j]) {
				return "", 0, false
			}
			return string(b[i+1 : j]), j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// jsonNumber reads a number in JSON's grammar at b[i] and returns it and
// the index after it.
func jsonNumber(b []byte, i int) (float64, int, bool) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return 0, 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return 0, 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return 0, 0, false
		}
	}
	f, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return 0, 0, false
	}
	return f, i, true
}

// plainAudience reads a plain string or an array of plain strings.
func plainAudience(b []byte, i int) (audience, int, bool) {
	if i < len(b) && b[i] == '"' {
		s, end, ok := plainString(b, i)
		return audience{s}, end, ok
	}
	if i >= len(b) || b[i] != '[' {
		return nil, 0, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return audience{}, i + 1, true
	}
	var out audience
	for {
		s, end, ok := plainString(b, i)
		if !ok {
			return nil, 0, false
		}
		out = append(out, s)
		i = skipWS(b, end)
		if i >= len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case ']':
			return out, i + 1, true
		case ',':
			i = skipWS(b, i+1)
		default:
			return nil, 0, false
		}
	}
}

// fastClaims decodes the plain form of the claims into c and reports
// whether it could; on false c is unchanged.
func fastClaims(b []byte, c *wireClaims) bool {
	var out wireClaims
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		var seen uint8
		for {
			key, end, ok := plainString(b, i)
			if !ok {
				return false
			}
			i = skipWS(b, end)
			if i >= len(b) || b[i] != ':' {
				return false
			}
			i = skipWS(b, i+1)
			var bit uint8
			switch key {
			case "sub", "iss", "tenant_id", "email":
				s, end, ok := plainString(b, i)
				if !ok {
					return false
				}
				switch key {
				case "sub":
					out.Sub, bit = s, 1<<0
				case "iss":
					out.Iss, bit = s, 1<<1
				case "tenant_id":
					out.TenantID, bit = s, 1<<2
				default:
					out.Email, bit = s, 1<<3
				}
				i = end
			case "exp", "nbf", "iat":
				f, end, ok := jsonNumber(b, i)
				if !ok {
					return false
				}
				switch key {
				case "exp":
					out.Exp, bit = &f, 1<<4
				case "nbf":
					out.Nbf, bit = &f, 1<<5
				default:
					out.Iat, bit = &f, 1<<6
				}
				i = end
			case "aud":
				a, end, ok := plainAudience(b, i)
				if !ok {
					return false
				}
				out.Aud, bit, i = a, 1<<7, end
			default:
				return false
			}
			if seen&bit != 0 {
				return false // a duplicate key: leave it to encoding/json
			}
			seen |= bit
			i = skipWS(b, i)
			if i >= len(b) {
				return false
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return false
			}
			i = skipWS(b, i+1)
		}
	}
	if skipWS(b, i) != len(b) {
		return false
	}
	*c = out
	return true
}
