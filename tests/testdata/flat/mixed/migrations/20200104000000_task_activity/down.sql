DROP VIEW user_task_counts;
DROP TRIGGER tasks_log_change ON tasks;
DROP FUNCTION log_task_change();
DROP TABLE task_events;
