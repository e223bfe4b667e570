-- tasks_calendar/0002_concurrent_event_link_index (down)
-- Runs outside a transaction, like up.sql.

DROP INDEX CONCURRENTLY IF EXISTS tasks_calendar_event_id_idx;
