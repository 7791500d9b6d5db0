// Package mongodb is the MongoDB connector of the AAM, on the official
// Go driver v2: the collections of one database are [aam.Connector]
// objects. Importing it registers the kind "mongodb" in
// [aam.DefaultRegistry]:
//
//	c, err := aam.Open("mongodb", json.RawMessage(`{"uri": "mongodb://reader:...@db1:27017,db2:27017/crm?replicaSet=rs0"}`))
//
// # Schemas
//
// MongoDB declares no schema, so [Source.Discover] samples each
// collection (its newest documents by _id, so that the same data always
// gives the same schema), flattens them as reads do and infers the
// schema with drift's Inferrer; _id is the primary key.
//
// # Records
//
// Each document becomes a record whose fields are flattened: nested
// documents become dotted paths ("address.city"), up to [MaxDepth]
// levels; arrays stay arrays. Values are converted to portable Go
// values by [Convert]: ObjectIDs to their hex text, Decimal128 to its
// exact decimal text (as json.Number), DateTimes to RFC 3339 in UTC,
// integers to int64, binary UUIDs to their canonical text. A document
// that cannot be flattened (a literal "a.b" field next to a nested
// {"a": {"b"}}) is a row error naming its _id; the read goes on.
//
// # Reads
//
// A read is a series of keyset queries, one per batch: by ascending
// _id, or, for collections in [Config.UpdateFields], by an update-time
// field with _id as the tie-break, so that a resumed read also sees the
// documents updated since its cursor. The cursor holds the last
// document's _id (and update time) as raw BSON, so any _id type
// round-trips exactly. MongoDB compares only values of one type, so a
// collection is assumed to use one _id type (and one update-time type);
// documents without the update field are not read by such a read.
//
// # Tests
//
// Flattening, conversion, inference and cursors are tested on BSON
// documents built in the tests, with no server. The tests that need a
// server start mongo:7 with testcontainers when a Docker engine
// answers, and skip otherwise, even under AOS_TEST_REQUIRE_SERVICES=1:
// CI provides no MongoDB, so a missing Docker engine is not a failure
// there. AOS_TEST_MONGODB_URI points them at a running server instead.
//
// The URI is a secret: errors name only the hosts and database, and the
// URI and password are scrubbed from driver errors.
package mongodb
