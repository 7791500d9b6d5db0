-- +goose Up
-- +aos destructive
-- Widgets are retired: their table goes, and with it its rows.
DELETE FROM widgets;
DROP TABLE widgets;

-- +goose Down
CREATE TABLE widgets (id int PRIMARY KEY, note text);
