package authn

import (
	"context"
	"time"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// Principal is the authenticated caller of a request: who they are and
// which tenant they act for. It is what a verified token or the
// development bypass yields.
type Principal struct {
	UserID   uuid.UUID
	TenantID tenancy.ID
	Email    string
	// ExpiresAt is when the credential stops being valid; zero for the
	// development bypass.
	ExpiresAt time.Time
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx that carries p and, through
// [tenancy.WithTenant], p's tenant, so that tenant-scoped code downstream
// needs only tenancy.FromContext.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	ctx = tenancy.WithTenant(ctx, p.TenantID)
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal carried by ctx, or
// [ErrNoPrincipal].
func PrincipalFromContext(ctx context.Context) (Principal, error) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	if !ok {
		return Principal{}, ErrNoPrincipal
	}
	return p, nil
}
