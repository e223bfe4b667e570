CREATE TABLE users (id bigint PRIMARY KEY);

ALTER TABLE users ADD COLUMN task_id bigint REFERENCES tasks (id);
