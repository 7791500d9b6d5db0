package authn_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/authn"
	"golang.org/x/crypto/argon2"
)

// legacyHash makes a PHC string with parameters below today's minimum, as
// an older deployment would have stored.
func legacyHash(password string, m, t uint32) string {
	salt := []byte("0123456789abcdef")
	return authn.PHC{Memory: m, Time: t, Threads: 1, Salt: salt, Key: argon2.IDKey([]byte(password), salt, t, m, 1, 32)}.String()
}

func TestHashFormatAndVerify(t *testing.T) {
	h, err := authn.NewHasher(nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("hash %q does not have the PHC form with OWASP's parameters", enc)
	}
	match, rehash, err := h.Verify("correct horse battery staple", enc)
	if err != nil || !match || rehash {
		t.Errorf("Verify(right) = %v, %v, %v; want true, false, nil", match, rehash, err)
	}
	match, _, err = h.Verify("correct horse battery stapler", enc)
	if err != nil || match {
		t.Errorf("Verify(wrong) = %v, %v; want false, nil", match, err)
	}
	enc2, _ := h.Hash("correct horse battery staple")
	if enc2 == enc {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestNewHasherRefusesWeakParams(t *testing.T) {
	for _, p := range []authn.HashParams{
		{Memory: 4096},
		{Time: 1},
		{SaltLength: 4},
		{KeyLength: 8},
		{Memory: 1 << 21},
	} {
		if _, err := authn.NewHasher(&p); !errors.Is(err, authn.ErrInvalidConfig) {
			t.Errorf("NewHasher(%+v) err = %v, want ErrInvalidConfig", p, err)
		}
	}
	h, err := authn.NewHasher(&authn.HashParams{Memory: 32 * 1024, Time: 3, Threads: 2})
	if err != nil {
		t.Fatalf("NewHasher(stronger) = %v", err)
	}
	enc, _ := h.Hash("pw")
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=32768,t=3,p=2$") {
		t.Errorf("hash with custom params = %q", enc)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	def, _ := authn.NewHasher(nil)
	stronger, _ := authn.NewHasher(&authn.HashParams{Time: 3})
	enc, _ := def.Hash("secret password")
	match, rehash, err := stronger.Verify("secret password", enc)
	if err != nil || !match || !rehash {
		t.Errorf("stronger.Verify(default hash) = %v, %v, %v; want true, true, nil", match, rehash, err)
	}
	legacy := legacyHash("secret password", 4096, 1)
	match, rehash, err = def.Verify("secret password", legacy)
	if err != nil || !match || !rehash {
		t.Errorf("Verify(legacy hash) = %v, %v, %v; want true, true, nil", match, rehash, err)
	}
}

func TestHashRefusesBadPasswords(t *testing.T) {
	h, _ := authn.NewHasher(nil)
	for _, pw := range []string{"", strings.Repeat("x", authn.MaxPasswordBytes+1)} {
		if _, err := h.Hash(pw); !errors.Is(err, authn.ErrInvalidInput) {
			t.Errorf("Hash(%d bytes) err = %v, want ErrInvalidInput", len(pw), err)
		}
	}
	enc, _ := h.Hash(strings.Repeat("x", authn.MaxPasswordBytes))
	if match, _, _ := h.Verify(strings.Repeat("x", authn.MaxPasswordBytes+1), enc); match {
		t.Error("a password over the limit matched the hash of its prefix")
	}
}

func TestParsePHCErrors(t *testing.T) {
	good := legacyHash("pw", 19456, 2)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	tests := []struct{ in, part string }{
		{"", "string"},
		{"plain text", "string"},
		{"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key, "algorithm"},
		{"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key, "version"},
		{"$argon2id$19$m=19456,t=2,p=1$" + salt + "$" + key, "version"},
		{"$argon2id$v=19$m=19456,t=2$" + salt + "$" + key, "parameters"},
		{"$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key, "m"},
		{"$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key, "m"},
		{"$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key, "m"},
		{"$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + key, "m"},
		{"$argon2id$v=19$m=4,t=2,p=1$" + salt + "$" + key, "m"},
		{"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key, "t"},
		{"$argon2id$v=19$m=19456,t=1000,p=1$" + salt + "$" + key, "t"},
		{"$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key, "p"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "=$" + key, "salt"},
		{"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key, "salt"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:10], "key"},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "!", "key"},
		{good + "$extra", "string"},
		{strings.Repeat("$", 1000), "string"},
	}
	for _, tc := range tests {
		_, err := authn.ParsePHC(tc.in)
		var fe *authn.HashFormatError
		if !errors.As(err, &fe) || fe.Part != tc.part || !errors.Is(err, authn.ErrInvalidHash) {
			t.Errorf("ParsePHC(%q) err = %v, want a HashFormatError for part %q", tc.in, err, tc.part)
		}
	}
	p, err := authn.ParsePHC(good)
	if err != nil || p.Memory != 19456 || p.Time != 2 || p.Threads != 1 || len(p.Salt) != 16 || len(p.Key) != 32 {
		t.Errorf("ParsePHC(good) = %+v, %v", p, err)
	}
	h, _ := authn.NewHasher(nil)
	if _, _, err := h.Verify("pw", "$argon2id$garbage"); !errors.Is(err, authn.ErrInvalidHash) {
		t.Errorf("Verify(garbage) err = %v, want ErrInvalidHash", err)
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add(legacyHash("pw", 19456, 2))
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := authn.ParsePHC(s)
		if err != nil {
			var fe *authn.HashFormatError
			if !errors.As(err, &fe) || fe.Part == "" {
				t.Fatalf("ParsePHC(%q) err = %v, not a HashFormatError naming a part", s, err)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error %q is long: it must not echo the input", err)
			}
			return
		}
		// Accepted strings are canonical: they encode back unchanged.
		if got := p.String(); got != s {
			t.Fatalf("ParsePHC(%q).String() = %q", s, got)
		}
	})
}
