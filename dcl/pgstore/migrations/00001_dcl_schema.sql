-- +goose Up
-- The schema of the shared warehouse. Entity tables and unified views are
-- derived from the ontology by Migrate after the goose migrations, since
-- their columns follow the ontology given at run time.
CREATE SCHEMA IF NOT EXISTS dcl;

-- +goose Down
DROP SCHEMA dcl;
