ALTER TABLE users DROP COLUMN open_tasks;
ALTER TABLE tasks DROP COLUMN due_at;
