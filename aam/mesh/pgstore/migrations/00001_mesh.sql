-- Connections, cursors and dead records of package aam/mesh. Every table
-- carries tenant_id and is under row-level security (ENABLE + FORCE, the
-- policy of tenancy/pgtenant.PolicySQL): rows are visible only inside a
-- transaction that set app.tenant_id.

-- +goose Up
CREATE TABLE mesh_connections (
    tenant_id  uuid        NOT NULL,
    id         text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    kind       text        NOT NULL,
    config     jsonb       NOT NULL,
    safe_mode  boolean     NOT NULL,
    state      text        NOT NULL DEFAULT '',
    health     jsonb       NOT NULL,
    pending    jsonb       NOT NULL DEFAULT '[]',
    created_at timestamptz,
    updated_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE mesh_cursors (
    tenant_id     uuid NOT NULL,
    connection_id text NOT NULL,
    object        text NOT NULL,
    cursor        text NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, object)
);

CREATE TABLE mesh_dead_records (
    tenant_id     uuid        NOT NULL,
    connection_id text        NOT NULL,
    id            text        NOT NULL,
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    object        text        NOT NULL,
    ref           text        NOT NULL,
    kind          text        NOT NULL,
    reason        text        NOT NULL,
    at            timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, id)
);
CREATE INDEX mesh_dead_records_by_seq ON mesh_dead_records (tenant_id, connection_id, seq);

ALTER TABLE mesh_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE mesh_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mesh_connections AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE mesh_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE mesh_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mesh_cursors AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE mesh_dead_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE mesh_dead_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mesh_dead_records AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE mesh_dead_records;
DROP TABLE mesh_cursors;
DROP TABLE mesh_connections;
