-- +goose Up
CREATE TABLE widgets (id int PRIMARY KEY, note text);

-- +goose Down
DROP TABLE widgets;
