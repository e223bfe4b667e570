-- calendar/0002_event_conferencing
-- Per-event colour and video-conference link. Both columns are nullable with
-- no default, so adding them is a catalog-only change. The CHECK constraints
-- are added NOT VALID (no full-table scan while holding the ACCESS EXCLUSIVE
-- lock: every existing row is NULL and therefore passes) and are enforced for
-- all new writes immediately. calendar/0003 validates them.

ALTER TABLE calendar_events
    ADD COLUMN color varchar(7),
    ADD COLUMN conference_url text;

ALTER TABLE calendar_events
    ADD CONSTRAINT calendar_events_color_chk CHECK (color IS NULL OR color ~ '^#[0-9a-fA-F]{6}$') NOT VALID;

ALTER TABLE calendar_events
    ADD CONSTRAINT calendar_events_conference_url_chk CHECK (conference_url IS NULL OR conference_url ~ '^https://') NOT VALID;
