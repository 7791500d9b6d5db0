package duckstore

import (
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

func decimalFromBig(d duckdb.Decimal) decimal.Decimal {
	if d.Value == nil {
		return decimal.Zero
	}
	return decimal.NewFromBigInt(d.Value, -int32(d.Scale))
}

// decimalScale is the scale of the warehouse's DECIMAL(38,9) columns.
const decimalScale = 9

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// decimalUnits returns d in units of 10^-9, the value a DECIMAL(38,9)
// appender column takes: an int64 when it fits, which is every amount
// below 9.2 billion and needs no big-number arithmetic, else a *big.Int.
// Appending the unscaled value spares DuckDB parsing decimal text, which
// cost more than the rest of the row. dcl has checked d has at most 9
// fractional and 29 integer digits.
func decimalUnits(d decimal.Decimal) (any, error) {
	e := int(d.Exponent())
	if e < -decimalScale {
		return nil, fmt.Errorf("%s has more than %d fractional digits", d.String(), decimalScale)
	}
	shift := e + decimalScale
	if n := d.NumDigits(); n+shift <= 18 {
		// at most 18 digits after scaling: fits an int64
		return d.CoefficientInt64() * pow10[shift], nil
	}
	v := d.Coefficient()
	v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
	if v.BitLen() > 127 { // a signed 128-bit integer
		return nil, fmt.Errorf("%s does not fit DECIMAL(38,9)", d.String())
	}
	return v, nil
}
