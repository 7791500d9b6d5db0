package redact

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestValidatorMatchesLibphonenumber checks the precompiled validator
// against libphonenumber's IsValidNumber on random numbers.
func TestValidatorMatchesLibphonenumber(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	ccs := []int{1, 44, 49, 33, 31, 39, 34, 41, 46, 61, 81, 55, 353, 971, 91, 86, 7, 800}
	valid, checked := 0, 0
	for _, cc := range ccs {
		for range 400 {
			n := 6 + rng.IntN(7)
			nsn := strconv.Itoa(1 + rng.IntN(9))
			for len(nsn) < n {
				nsn += strconv.Itoa(rng.IntN(10))
			}
			nn, _ := strconv.ParseUint(nsn, 10, 64)
			cc32 := int32(cc)
			want := phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &nn})
			if got := validNational(cc, []byte(nsn), ""); got != want {
				t.Errorf("+%d %s: validator %v, libphonenumber %v", cc, nsn, got, want)
			}
			checked++
			if want {
				valid++
			}
		}
	}
	if valid < checked/20 {
		t.Fatalf("only %d of %d random numbers valid: the comparison proves little", valid, checked)
	}
	t.Logf("%d numbers compared, %d valid", checked, valid)
}
