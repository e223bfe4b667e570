CREATE TABLE task_events (
    id bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    kind text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION log_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_events (task_id, kind) VALUES (NEW.id, TG_OP);
    RETURN NEW;
END
$$;

CREATE TRIGGER tasks_log_change AFTER INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION log_task_change();

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'task_events_task_idx') THEN
        CREATE INDEX task_events_task_idx ON task_events (task_id, at);
    END IF;
END
$$;

CREATE VIEW user_task_counts AS
    SELECT u.id AS user_id, count(t.id) AS open_tasks
    FROM users u LEFT JOIN tasks t ON t.assignee_id = u.id
    GROUP BY u.id;

UPDATE users SET updated_at = updated_at WHERE false;
