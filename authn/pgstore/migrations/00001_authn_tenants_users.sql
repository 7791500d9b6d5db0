-- +goose Up

-- Tenants. Row-level security lets a transaction see only the tenant
-- named by app.tenant_id (set with set_config(..., true) by the store).
CREATE TABLE authn_tenants (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL
);
ALTER TABLE authn_tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE authn_tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON authn_tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Users: tenant-owned, under the policy of tenancy/pgtenant.PolicySQL.
CREATE TABLE authn_users (
    tenant_id     uuid        NOT NULL REFERENCES authn_tenants (id),
    id            uuid        NOT NULL,
    email         text        NOT NULL CHECK (email <> ''),
    password_hash text        NOT NULL CHECK (password_hash <> ''),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT authn_users_id_key UNIQUE (id)
);
ALTER TABLE authn_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE authn_users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON authn_users
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The login directory: which tenant and user an email belongs to. Login
-- happens before any tenant is known, so this table is global (not
-- tenant-owned) and holds no secret: only the lower-cased email and ids.
-- Its primary key makes emails unique across all tenants.
CREATE TABLE authn_emails (
    email_lower text NOT NULL CHECK (email_lower <> ''),
    tenant_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    CONSTRAINT authn_emails_pkey PRIMARY KEY (email_lower),
    CONSTRAINT authn_emails_user_key UNIQUE (user_id)
);

-- +goose Down
DROP TABLE authn_emails;
DROP TABLE authn_users;
DROP TABLE authn_tenants;
