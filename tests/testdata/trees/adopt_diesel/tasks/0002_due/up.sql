-- schemagate:imported-from diesel 20200104000000
ALTER TABLE tasks ADD COLUMN due_at timestamp with time zone;
-- tasks adds a column to a table of core.
ALTER TABLE users ADD COLUMN open_tasks integer NOT NULL DEFAULT 0;
