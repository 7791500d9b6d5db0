package mongodb

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/autonomos/autonomos/aam"
)

func rawOf(t *testing.T, v any) bson.RawValue {
	t.Helper()
	typ, b, err := bson.MarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return bson.RawValue{Type: typ, Value: b}
}

func TestCursorRoundTrip(t *testing.T) {
	oid := bson.NewObjectIDFromTimestamp(time.Unix(1700000000, 0))
	for _, tc := range []struct {
		field string
		p     position
	}{
		{"", position{id: rawOf(t, oid)}},
		{"", position{id: rawOf(t, "customer-42")}},
		{"", position{id: rawOf(t, bson.D{{Key: "tenant", Value: "a"}, {Key: "n", Value: int64(7)}})}},
		{"meta.updatedAt", position{at: rawOf(t, bson.NewDateTimeFromTime(time.UnixMilli(1700000000123))), id: rawOf(t, oid)}},
	} {
		cur := encodeCursor(tc.field, &tc.p)
		got, err := decodeCursor(cur, tc.field)
		if err != nil {
			t.Fatalf("decode %s: %v", cur, err)
		}
		if !got.id.Equal(tc.p.id) || (tc.field != "" && !got.at.Equal(tc.p.at)) {
			t.Errorf("cursor %s decoded to %v/%v, want %v/%v", cur, got.at, got.id, tc.p.at, tc.p.id)
		}
		// A cursor for one ordering is refused by another.
		other := "updatedAt"
		if tc.field != "" {
			other = ""
		}
		if _, err := decodeCursor(cur, other); !errors.Is(err, aam.ErrInvalidCursor) {
			t.Errorf("cursor %s for field %q: %v, want ErrInvalidCursor", cur, other, err)
		}
	}
	for _, bad := range []aam.Cursor{"x", "{}", `{"v":1}`, `{"v":2,"id":{"t":7,"b":""}}`, `{"v":1,"id":{"t":7,"b":"AAAA"}}`, `{"v":1,"id":{"t":99,"b":""}}`, `{"v":1,"id":{"t":2,"b":"!!"}}`} {
		if _, err := decodeCursor(bad, ""); !errors.Is(err, aam.ErrInvalidCursor) {
			t.Errorf("cursor %q: %v, want ErrInvalidCursor", bad, err)
		}
	}
}

func TestQueryShapes(t *testing.T) {
	oid := bson.NewObjectIDFromTimestamp(time.Unix(1700000000, 0))
	p := &position{id: rawOf(t, oid), at: rawOf(t, bson.DateTime(5))}
	ext := func(d bson.D) string {
		b, err := bson.MarshalExtJSON(d, true, false)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		field  string
		p      *position
		filter string
		sort   string
	}{
		{"", nil, `{}`, `{"_id":{"$numberInt":"1"}}`},
		{"", p, `{"_id":{"$gt":{"$oid":"` + oid.Hex() + `"}}}`, `{"_id":{"$numberInt":"1"}}`},
		{"u", nil, `{"u":{"$ne":null}}`, `{"u":{"$numberInt":"1"},"_id":{"$numberInt":"1"}}`},
		{"u", p, `{"$or":[{"u":{"$gt":{"$date":{"$numberLong":"5"}}}},{"u":{"$date":{"$numberLong":"5"}},"_id":{"$gt":{"$oid":"` + oid.Hex() + `"}}}]}`,
			`{"u":{"$numberInt":"1"},"_id":{"$numberInt":"1"}}`},
	} {
		f, s := query(tc.field, tc.p)
		if got := ext(f); got != tc.filter {
			t.Errorf("filter(%q) = %s, want %s", tc.field, got, tc.filter)
		}
		if got := ext(s); got != tc.sort {
			t.Errorf("sort(%q) = %s, want %s", tc.field, got, tc.sort)
		}
	}
}

func TestURIParts(t *testing.T) {
	for _, tc := range []struct{ uri, db, hosts string }{
		{"mongodb://u:p@h1:27017,h2:27018/crm?replicaSet=rs0", "crm", "mongodb://h1:27017,h2:27018"},
		{"mongodb+srv://u:p%40ss@cluster0.example.net/?retryWrites=true", "", "mongodb+srv://cluster0.example.net"},
		{"mongodb://localhost", "", "mongodb://localhost"},
		{"mongodb://a@b:c@h/x", "x", "mongodb://h"},
	} {
		if got := uriDatabase(tc.uri); got != tc.db {
			t.Errorf("uriDatabase(%q) = %q, want %q", tc.uri, got, tc.db)
		}
		if got := uriHosts(tc.uri); got != tc.hosts {
			t.Errorf("uriHosts(%q) = %q, want %q", tc.uri, got, tc.hosts)
		}
	}
}
