-- tasks_calendar/0001_init (down)

DROP TRIGGER task_calendar_sync_settings_set_updated_at ON task_calendar_sync_settings;

DROP TABLE task_calendar_sync_settings;
DROP TABLE task_calendar_links;

ALTER TABLE tasks DROP COLUMN calendar_event_id;
