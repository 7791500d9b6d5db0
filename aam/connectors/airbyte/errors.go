package airbyte

import (
	"errors"
	"strconv"
)

// ErrAuth means the API refused the token (401 or 403). An [*APIError]
// with either status matches it.
var ErrAuth = errors.New("airbyte: authentication failed")

// APIError is an error answer of the Airbyte API, from its problem
// body {"type", "title", "status", "detail"}. It holds the method and
// path of the request, never its query or the token.
type APIError struct {
	// Method and Path name the request ("GET", "/v1/jobs").
	Method string
	Path   string
	// Status is the HTTP status code.
	Status int
	// Title and Detail come from the problem body, when it had them.
	Title  string
	Detail string
}

func (e *APIError) Error() string {
	s := "airbyte: " + e.Method + " " + e.Path + ": " + strconv.Itoa(e.Status)
	if e.Title != "" {
		s += " " + e.Title
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is matches [ErrAuth] for 401 and 403.
func (e *APIError) Is(target error) bool {
	return target == ErrAuth && (e.Status == 401 || e.Status == 403)
}
