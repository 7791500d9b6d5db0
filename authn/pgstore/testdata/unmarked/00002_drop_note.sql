-- +goose Up
-- A careless migration: drops a column without saying so.
ALTER TABLE widgets DROP COLUMN note;

-- +goose Down
ALTER TABLE widgets ADD COLUMN note text;
