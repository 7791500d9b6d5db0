package drift

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
)

// FingerprintVersion prefixes every fingerprint, so a change to the
// canonical form can never collide with fingerprints already stored.
const FingerprintVersion = "v1"

// Fingerprint returns a stable hash of s's fields and their types:
// "v1:" followed by the first 16 bytes (32 hex digits) of the SHA-256 of
// this canonical form:
//
//	"drift.fields.v1\n"
//	then, for each field sorted by name (bytewise, ties by type):
//	    uvarint(len(name)) name uvarint(len(type)) type
//
// where uvarint is Go's [binary.AppendUvarint] encoding. Only names and
// types count: field order, nullability, samples, stats, the primary
// key, the system and the object name do not, so the same object
// discovered twice with fields in another order has the same
// fingerprint. Names are compared exactly (case matters). The length
// prefixes make the form unambiguous whatever bytes the names hold.
//
// Fingerprint is safe for concurrent use and does not modify s.
func Fingerprint(s *Schema) string {
	n := len(s.Fields)
	var idxBuf [64]int32
	idx := idxBuf[:0]
	if n > len(idxBuf) {
		idx = make([]int32, 0, n)
	}
	for i := range s.Fields {
		idx = append(idx, int32(i))
	}
	fs := s.Fields
	slices.SortFunc(idx, func(a, b int32) int {
		if c := strings.Compare(fs[a].Name, fs[b].Name); c != 0 {
			return c
		}
		return strings.Compare(string(fs[a].Type), string(fs[b].Type))
	})
	var stack [2048]byte
	buf := append(stack[:0], "drift.fields.v1\n"...)
	for _, i := range idx {
		f := &fs[i]
		buf = binary.AppendUvarint(buf, uint64(len(f.Name)))
		buf = append(buf, f.Name...)
		buf = binary.AppendUvarint(buf, uint64(len(f.Type)))
		buf = append(buf, f.Type...)
	}
	return encodeSum(sha256.Sum256(buf))
}

// TypeFingerprint returns a stable hash of the multiset of s's field
// types, ignoring names: "v1:" and 32 hex digits of the SHA-256 of
//
//	"drift.types.v1\n"
//	then, for each distinct type sorted bytewise:
//	    uvarint(len(type)) type uvarint(count)
//
// Two schemas that differ only by renamed fields share it, which is a
// cheap hint for repair that a removed and an added field may be one
// rename. Safe for concurrent use.
func TypeFingerprint(s *Schema) string {
	type tc struct {
		t FieldType
		n int
	}
	var countsBuf [16]tc
	counts := countsBuf[:0]
outer:
	for i := range s.Fields {
		t := s.Fields[i].Type
		for j := range counts {
			if counts[j].t == t {
				counts[j].n++
				continue outer
			}
		}
		counts = append(counts, tc{t, 1})
	}
	slices.SortFunc(counts, func(a, b tc) int { return strings.Compare(string(a.t), string(b.t)) })
	var stack [512]byte
	buf := append(stack[:0], "drift.types.v1\n"...)
	for _, c := range counts {
		buf = binary.AppendUvarint(buf, uint64(len(c.t)))
		buf = append(buf, c.t...)
		buf = binary.AppendUvarint(buf, uint64(c.n))
	}
	return encodeSum(sha256.Sum256(buf))
}

func encodeSum(sum [32]byte) string {
	var out [3 + 32]byte
	copy(out[:], FingerprintVersion+":")
	hex.Encode(out[3:], sum[:16])
	return string(out[:])
}
