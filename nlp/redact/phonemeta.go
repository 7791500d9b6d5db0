package redact

import (
	"regexp"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// phoneDesc is one number type of a region: its possible lengths and its
// anchored national number pattern, compiled once.
type phoneDesc struct {
	lengths []int32
	re      *regexp.Regexp
}

func (d *phoneDesc) match(nsn string) bool {
	if d == nil {
		return false
	}
	if len(d.lengths) > 0 {
		ok := false
		for _, l := range d.lengths {
			if int(l) == len(nsn) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

// regionValidator answers libphonenumber's IsValidNumberForRegion for one
// region from the same metadata: the general pattern and at least one
// number type must match. It exists because the library builds and looks
// up each pattern string on every call, which dominated redaction time.
type regionValidator struct {
	general *phoneDesc
	types   []*phoneDesc // most common first: fixed line, mobile, toll free, ...
}

func (v *regionValidator) valid(nsn string) bool {
	if !v.general.match(nsn) {
		return false
	}
	for _, d := range v.types {
		if d.match(nsn) {
			return true
		}
	}
	return false
}

var (
	metaOnce   sync.Once
	metaByID   map[string]*phonenumbers.PhoneMetadata
	validators sync.Map // region -> *regionValidator (nil when unknown)
)

func compileDesc(d *phonenumbers.PhoneNumberDesc) *phoneDesc {
	if d == nil || d.GetNationalNumberPattern() == "" {
		return nil
	}
	re, err := regexp.Compile("^(?:" + d.GetNationalNumberPattern() + ")$")
	if err != nil {
		return nil
	}
	return &phoneDesc{lengths: d.PossibleLength, re: re}
}

// validatorFor returns the validator of region, or nil when the metadata
// has none (callers then ask libphonenumber directly).
func validatorFor(region string) *regionValidator {
	if v, ok := validators.Load(region); ok {
		return v.(*regionValidator)
	}
	metaOnce.Do(func() {
		metaByID = map[string]*phonenumbers.PhoneMetadata{}
		mc, err := phonenumbers.MetadataCollection()
		if err != nil {
			return
		}
		for _, md := range mc.GetMetadata() {
			metaByID[md.GetId()] = md
		}
	})
	md := metaByID[region]
	var v *regionValidator
	if md != nil && region != "001" {
		v = &regionValidator{general: compileDesc(md.GetGeneralDesc())}
		if v.general == nil {
			v = nil
		} else {
			descs := []*phonenumbers.PhoneNumberDesc{md.GetFixedLine(), md.GetMobile(), md.GetTollFree(), md.GetPremiumRate(),
				md.GetSharedCost(), md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail()}
			for _, d := range descs {
				if c := compileDesc(d); c != nil {
					v.types = append(v.types, c)
				}
			}
		}
	}
	actual, _ := validators.LoadOrStore(region, v)
	return actual.(*regionValidator)
}
