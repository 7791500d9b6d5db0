package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNoKey means an object has neither a primary key in the catalog nor
// key columns in [Config.Keys], so it cannot be read in a stable order.
var ErrNoKey = errors.New("postgres: object has no key to read by")

// redactedError carries a driver error whose text has had the
// connection's password removed. It unwraps only to the context's
// errors and to a server error (*pgconn.PgError, whose text the server
// wrote and which holds no password), never to the original error,
// whose text might.
type redactedError struct {
	msg   string
	cause error // context.Canceled, context.DeadlineExceeded, *pgconn.PgError or nil
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err with every occurrence of secret (the password and
// the whole URL) removed from its text.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	re := &redactedError{msg: msg}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, context.Canceled):
		re.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		re.cause = context.DeadlineExceeded
	case errors.As(err, &pgErr):
		re.cause = pgErr
	}
	return re
}
