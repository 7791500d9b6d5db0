package main

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// serverPart is what server mode adds to the app: the shared PostgreSQL
// and Redis. Both are nil in the embedded default; every area that has a
// server-mode backend checks them.
type serverPart struct {
	pg  *pgxpool.Pool
	rdb redis.UniversalClient
}

// openServer connects to PostgreSQL and Redis in server mode; in the
// embedded default it does nothing.
func (a *app) openServer(_ context.Context) error {
	if a.cfg.DatabaseURL == "" {
		if a.cfg.RedisURL != "" {
			a.log.Warn("REDIS_URL is set but only server mode uses Redis; ignoring it")
		}
		return nil
	}
	return errors.New("server mode (SUPABASE_DATABASE_URL or DATABASE_URL is set) is not implemented yet; unset both to run the embedded default")
}

// closeServer closes the connections of server mode.
func (a *app) closeServer() {
	if a.pg != nil {
		a.pg.Close()
	}
	if a.rdb != nil {
		_ = a.rdb.Close()
	}
}
