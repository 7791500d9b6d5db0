package redisstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/fallback"
	"github.com/autonomos/autonomos/graphstore/redisstore"
	"github.com/autonomos/autonomos/tenancy"
)

// The server-mode setup: Redis behind the fallback driver, so graphs stay
// available while Redis is down. (Not run: it needs a Redis server.)
func Example() {
	opts, err := redis.ParseURL("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close() // the driver does not close the client

	rd, err := redisstore.New(client, nil)
	if err != nil {
		log.Fatal(err)
	}
	fb, err := fallback.New(rd, nil)
	if err != nil {
		log.Fatal(err)
	}
	store, err := graphstore.New(fb, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	tenant := tenancy.New()
	action, err := store.SeedDemo(ctx, tenant)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(action, "at key", rd.Key(tenant))
}
