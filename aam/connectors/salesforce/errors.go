package salesforce

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrAuth means the token endpoint refused the credentials, or the
	// API refused a fresh token. [*TokenError] matches it, and so does
	// an [*APIError] with status 401.
	ErrAuth = errors.New("salesforce: authentication failed")
	// ErrRequestLimit means the org's API request limit was exceeded
	// and the retries did not outlast it. An [*APIError] with errorCode
	// REQUEST_LIMIT_EXCEEDED matches it.
	ErrRequestLimit = errors.New("salesforce: request limit exceeded")
)

// APIError is an error answer of the REST API, from Salesforce's
// documented error body [{"message": ..., "errorCode": ...}]. It holds
// the method and the path of the request, never its query string,
// headers or a token.
type APIError struct {
	// Method and Path name the request ("GET", "/services/data/v62.0/query").
	Method string
	Path   string
	// Status is the HTTP status code.
	Status int
	// Code is the first error's errorCode ("INVALID_FIELD",
	// "REQUEST_LIMIT_EXCEEDED"); empty when the body was not the
	// documented JSON.
	Code string
	// Message is the first error's message, with any configured secret
	// removed.
	Message string
	// Fields lists the fields the error names, when Salesforce says.
	Fields []string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("salesforce: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.Status))
	if e.Code != "" {
		b.WriteByte(' ')
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" (fields: ")
		b.WriteString(strings.Join(e.Fields, ", "))
		b.WriteByte(')')
	}
	return b.String()
}

// Is matches [ErrRequestLimit] for REQUEST_LIMIT_EXCEEDED and [ErrAuth]
// for status 401.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRequestLimit:
		return e.Code == "REQUEST_LIMIT_EXCEEDED"
	case ErrAuth:
		return e.Status == 401
	}
	return false
}

// TokenError is a refusal of the OAuth token endpoint, from its
// documented body {"error": ..., "error_description": ...}. It matches
// [ErrAuth] and never holds a credential.
type TokenError struct {
	// Flow is the flow that was tried.
	Flow Flow
	// Status is the HTTP status code.
	Status int
	// Code is the OAuth error ("invalid_grant", "invalid_client_id").
	Code string
	// Description is the error_description, with any configured secret
	// removed.
	Description string
}

func (e *TokenError) Error() string {
	s := "salesforce: token request (" + string(e.Flow) + "): " + strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is matches [ErrAuth].
func (e *TokenError) Is(target error) bool { return target == ErrAuth }

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }
