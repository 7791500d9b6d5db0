// Package authn holds users, tenants, passwords, JSON Web Tokens and the
// net/http middleware that authenticates requests.
package authn
