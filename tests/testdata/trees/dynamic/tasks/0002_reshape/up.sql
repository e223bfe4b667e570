-- A helper that changes the schema, called once.
CREATE FUNCTION tasks_add_priority() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE tasks ADD COLUMN priority smallint NOT NULL DEFAULT 3;
    CREATE INDEX tasks_priority_idx ON tasks (priority);
END
$$;
SELECT tasks_add_priority();
DROP FUNCTION tasks_add_priority();
