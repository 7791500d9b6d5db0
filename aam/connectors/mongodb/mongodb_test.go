package mongodb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/mongodb"
	"github.com/autonomos/autonomos/aam/connectortest"
)

func TestRegistryAndConfig(t *testing.T) {
	if !slices.Contains(aam.Kinds(), mongodb.Kind) {
		t.Fatalf("kind %q not registered: %v", mongodb.Kind, aam.Kinds())
	}
	c, err := aam.Open(mongodb.Kind, json.RawMessage(`{"uri":"mongodb://u:pw@127.0.0.1:27017/crm","server_selection_timeout":"2s","update_fields":{"contacts":"updatedAt"}}`))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, tc := range []struct{ cfg, field string }{
		{`{}`, "uri"},
		{`{"uri":"http://h/db"}`, "uri"},
		{`{"uri":"mongodb://h"}`, "database"},
		{`{"uri":"mongodb://h/a.b"}`, "database"},
		{`{"uri":"mongodb://h/db","batch_size":-1}`, "batch_size"},
		{`{"uri":"mongodb://h/db","update_fields":{"c":"_id"}}`, "update_fields"},
		{`{"uri":"mongodb://h/db","server_selection_timeout":"soon"}`, "server_selection_timeout"},
	} {
		_, err := aam.Open(mongodb.Kind, json.RawMessage(tc.cfg))
		var ce *aam.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("Open(%s) = %v, want a ConfigError on %q", tc.cfg, err, tc.field)
		}
	}
	_, err = aam.Open(mongodb.Kind, json.RawMessage(`{"uri":"mongodb://u:hunter2@h/db","collections":"hunter2"}`))
	if !errors.Is(err, aam.ErrInvalidConfig) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad config error = %v", err)
	}
}

func TestSecretsStayOut(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	_, err := mongodb.New(&mongodb.Config{URI: "mongodb://user:" + pw + "@h:notaport/db"})
	if !errors.Is(err, aam.ErrInvalidConfig) || strings.Contains(err.Error(), pw) {
		t.Errorf("New with a bad port = %v (want ErrInvalidConfig without the password)", err)
	}
	s, err := mongodb.New(&mongodb.Config{URI: "mongodb://user:" + pw + "@127.0.0.1:1/crm?connectTimeoutMS=300", ServerSelectionTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Check(context.Background())
	if !errors.Is(err, aam.ErrUnavailable) {
		t.Fatalf("Check on a closed port = %v, want ErrUnavailable", err)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), pw) {
			t.Errorf("error leaks the password: %v", e)
		}
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1/crm") {
		t.Errorf("error does not name the target: %v", err)
	}
	if got := fmt.Sprint(mongodb.Config{URI: "mongodb://u:" + pw + "@h/db"}); strings.Contains(got, pw) {
		t.Errorf("Config prints its URI: %s", got)
	}
	// Closed: every method says so.
	s.Close()
	if err := s.Check(context.Background()); !errors.Is(err, aam.ErrClosed) {
		t.Errorf("Check after Close = %v", err)
	}
}

// The tests below need a MongoDB server: AOS_TEST_MONGODB_URI, or mongo:7
// started with testcontainers when a Docker engine answers. Without
// either they skip, even under AOS_TEST_REQUIRE_SERVICES=1: CI provides
// no MongoDB.

var mongoServer struct {
	once sync.Once
	uri  string
	err  error
}

func serverURI(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("AOS_TEST_MONGODB_URI"); u != "" {
		return u
	}
	if testing.Short() {
		t.Skip("no MongoDB in -short mode")
	}
	mongoServer.once.Do(func() { mongoServer.uri, mongoServer.err = startMongo() })
	if mongoServer.err != nil {
		t.Skipf("no MongoDB server (set AOS_TEST_MONGODB_URI, or run a Docker engine for mongo:7): %v", mongoServer.err)
	}
	return mongoServer.uri
}

func startMongo() (uri string, err error) {
	defer func() {
		if r := recover(); r != nil { // testcontainers panics on some broken setups
			err = fmt.Errorf("docker: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := testcontainers.ProviderDocker.GetProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return "", fmt.Errorf("no Docker engine: %w", err)
	}
	err = p.Health(ctx)
	p.Close()
	if err != nil {
		return "", fmt.Errorf("no Docker engine answers: %w", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        "mongo:7",
			ExposedPorts: []string{"27017/tcp"},
			WaitingFor:   wait.ForListeningPort("27017/tcp").WithStartupTimeout(2 * time.Minute),
		},
		Started: true,
		Logger:  tclog.NewNoopLogger(),
	})
	if err != nil {
		return "", err
	}
	ep, err := c.PortEndpoint(ctx, "27017/tcp", "mongodb")
	if err != nil {
		return "", err
	}
	return ep, nil // the reaper removes the container when the process ends
}

// database returns a fresh database on the server, dropped at cleanup,
// and the URI and a client for it.
func database(t *testing.T) (string, *mongo.Database) {
	t.Helper()
	base := serverURI(t)
	client, err := mongo.Connect(options.Client().ApplyURI(base))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("aos_test_%d", time.Now().UnixNano())
	db := client.Database(name)
	t.Cleanup(func() {
		db.Drop(context.Background())
		client.Disconnect(context.Background())
	})
	return base, db
}

func insert(t *testing.T, c *mongo.Collection, docs ...bson.D) {
	t.Helper()
	anys := make([]any, len(docs))
	for i, d := range docs {
		anys[i] = d
	}
	if _, err := c.InsertMany(context.Background(), anys); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptance(t *testing.T) {
	uri, db := database(t)
	ctx := context.Background()
	var contacts, deals []bson.D
	for i := range 22 {
		contacts = append(contacts, bson.D{
			{Key: "_id", Value: bson.NewObjectID()},
			{Key: "email", Value: fmt.Sprintf("c%d@example.com", i)},
			{Key: "address", Value: bson.D{{Key: "city", Value: "Lyon"}, {Key: "zip", Value: fmt.Sprint(69000 + i)}}},
		})
	}
	for i := range 9 {
		d, _ := bson.ParseDecimal128(fmt.Sprintf("%d.25", 1000*i))
		deals = append(deals, bson.D{
			{Key: "_id", Value: fmt.Sprintf("deal-%03d", i)},
			{Key: "amount", Value: d},
			{Key: "updatedAt", Value: bson.NewDateTimeFromTime(time.Date(2024, 1, 1+i%3, 0, 0, 0, 0, time.UTC))},
		})
	}
	insert(t, db.Collection("contacts"), contacts...)
	insert(t, db.Collection("deals"), deals...)
	_ = ctx
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			s, err := mongodb.New(&mongodb.Config{URI: uri, Database: db.Name(), BatchSize: 4,
				UpdateFields: map[string]string{"deals": "updatedAt"}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Records: map[string]int{"contacts": 22, "deals": 9},
		Append: func(t *testing.T, object string, n int) {
			for range n {
				insert(t, db.Collection(object), bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "email", Value: "new@example.com"}})
			}
		},
		Unreachable: func(t *testing.T) aam.Connector {
			s, err := mongodb.New(&mongodb.Config{URI: "mongodb://127.0.0.1:1/x", ServerSelectionTimeout: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	})
}

func TestUpdateFieldIncremental(t *testing.T) {
	uri, db := database(t)
	ctx := context.Background()
	coll := db.Collection("tickets")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		insert(t, coll, bson.D{{Key: "_id", Value: int64(i)}, {Key: "subject", Value: fmt.Sprint("t", i)},
			{Key: "meta", Value: bson.D{{Key: "updatedAt", Value: bson.NewDateTimeFromTime(base.Add(time.Duration(i/3) * time.Hour))}}}})
	}
	insert(t, coll, bson.D{{Key: "_id", Value: int64(99)}, {Key: "subject", Value: "no time"}})
	s, err := mongodb.New(&mongodb.Config{URI: uri, Database: db.Name(), BatchSize: 3, UpdateFields: map[string]string{"tickets": "meta.updatedAt"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read := func(cur aam.Cursor) ([]string, aam.Cursor) {
		var out []string
		for b, err := range s.Read(ctx, "tickets", cur) {
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range b.Records {
				out = append(out, fmt.Sprint(r.Fields["_id"], " ", r.Fields["subject"]))
			}
			cur = b.Cursor
		}
		return out, cur
	}
	all, end := read("")
	if len(all) != 10 {
		t.Fatalf("read %v, want the 10 documents with an update time", all)
	}
	later := bson.NewDateTimeFromTime(base.Add(48 * time.Hour))
	coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: int64(4)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "subject", Value: "t4 again"}, {Key: "meta.updatedAt", Value: later}}}})
	coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: int64(1)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "subject", Value: "t1 again"}, {Key: "meta.updatedAt", Value: later}}}})
	got, end2 := read(end)
	if want := []string{"1 t1 again", "4 t4 again"}; !slices.Equal(got, want) {
		t.Errorf("incremental read = %q, want %q", got, want)
	}
	if rest, _ := read(end2); len(rest) != 0 {
		t.Errorf("read after the end = %v", rest)
	}
}
