-- schemagate:no-transaction
-- tasks_calendar/0002_concurrent_event_link_index
-- Index for tasks.calendar_event_id (added by tasks_calendar/0001), needed by
-- ON DELETE SET NULL when calendar events are deleted. Built without
-- blocking writes on tasks. On failure run down.sql, then re-apply.

CREATE INDEX CONCURRENTLY tasks_calendar_event_id_idx ON tasks (calendar_event_id) WHERE calendar_event_id IS NOT NULL;
