package duckstore

import (
	"github.com/shopspring/decimal"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

func decimalFromBig(d duckdb.Decimal) decimal.Decimal {
	if d.Value == nil {
		return decimal.Zero
	}
	return decimal.NewFromBigInt(d.Value, -int32(d.Scale))
}
