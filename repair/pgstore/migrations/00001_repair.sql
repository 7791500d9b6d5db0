-- Mapping registry, review queue and audit trail of package repair.
-- Every table carries tenant_id and is under row-level security
-- (ENABLE + FORCE, the policy of tenancy/pgtenant.PolicySQL): rows are
-- visible only inside a transaction that set app.tenant_id.

-- +goose Up
CREATE TABLE repair_mapping_versions (
    tenant_id     uuid        NOT NULL,
    connection_id text        NOT NULL,
    object        text        NOT NULL,
    version       integer     NOT NULL CHECK (version > 0),
    mapping       jsonb       NOT NULL,
    actor         text        NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    restored_from integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, object, version)
);

CREATE TABLE repair_connections (
    tenant_id         uuid        NOT NULL,
    connection_id     text        NOT NULL,
    safe_mode         boolean     NOT NULL,
    safe_mode_pinned  boolean     NOT NULL DEFAULT false,
    first_approved_at timestamptz,
    updated_at        timestamptz,
    PRIMARY KEY (tenant_id, connection_id)
);

CREATE TABLE repair_reviews (
    tenant_id     uuid        NOT NULL,
    id            text        NOT NULL,
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    connection_id text        NOT NULL,
    object        text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    item          jsonb       NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX repair_reviews_by_status ON repair_reviews (tenant_id, status, seq);
CREATE INDEX repair_reviews_by_key ON repair_reviews (tenant_id, connection_id, object, seq);

CREATE TABLE repair_audit (
    tenant_id     uuid        NOT NULL,
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    id            text        NOT NULL,
    connection_id text        NOT NULL,
    object        text        NOT NULL,
    action        text        NOT NULL,
    at            timestamptz NOT NULL,
    entry         jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX repair_audit_by_key ON repair_audit (tenant_id, connection_id, object, seq);

ALTER TABLE "repair_mapping_versions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "repair_mapping_versions" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON "repair_mapping_versions";
CREATE POLICY tenant_isolation ON "repair_mapping_versions" AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE "repair_connections" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "repair_connections" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON "repair_connections";
CREATE POLICY tenant_isolation ON "repair_connections" AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE "repair_reviews" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "repair_reviews" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON "repair_reviews";
CREATE POLICY tenant_isolation ON "repair_reviews" AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE "repair_audit" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "repair_audit" FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON "repair_audit";
CREATE POLICY tenant_isolation ON "repair_audit" AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE repair_audit;
DROP TABLE repair_reviews;
DROP TABLE repair_connections;
DROP TABLE repair_mapping_versions;
