-- tasks_calendar/0001_init
-- tasks.calendar_event_id is owned by this bridge cluster (a column added to
-- a dependency's table). It is nullable with no default, so adding it is a
-- catalog change plus a validation pass for the new foreign key. Its index
-- is built concurrently by tasks_calendar/0002.

-- schemagate:allow foreign-key-not-valid calendar_event_id is new and NULL in every row: the validation finds nothing to check
ALTER TABLE tasks ADD COLUMN calendar_event_id bigint REFERENCES calendar_events(id) ON DELETE SET NULL;

CREATE TABLE task_calendar_links (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    event_id bigint NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    link_type varchar(16) NOT NULL DEFAULT 'work_block',
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_calendar_links_type_chk CHECK (link_type IN ('deadline', 'work_block', 'meeting')),
    CONSTRAINT task_calendar_links_task_event_key UNIQUE (task_id, event_id)
);

CREATE INDEX task_calendar_links_event_id_idx ON task_calendar_links (event_id);
CREATE INDEX task_calendar_links_created_by_idx ON task_calendar_links (created_by);

CREATE TABLE task_calendar_sync_settings (
    user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    calendar_id bigint NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    sync_due_dates boolean NOT NULL DEFAULT true,
    default_block_minutes integer NOT NULL DEFAULT 60,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_calendar_sync_settings_block_chk CHECK (default_block_minutes BETWEEN 5 AND 480)
);

CREATE INDEX task_calendar_sync_settings_calendar_id_idx ON task_calendar_sync_settings (calendar_id);

CREATE TRIGGER task_calendar_sync_settings_set_updated_at BEFORE UPDATE ON task_calendar_sync_settings FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
