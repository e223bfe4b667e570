-- calendar/0003_validate_event_checks (down)
-- There is no "un-validate": restore the calendar/0002 state by re-creating
-- both constraints as NOT VALID (the same definitions as calendar/0002).

ALTER TABLE calendar_events DROP CONSTRAINT calendar_events_conference_url_chk;

ALTER TABLE calendar_events
    ADD CONSTRAINT calendar_events_conference_url_chk CHECK (conference_url IS NULL OR conference_url ~ '^https://') NOT VALID;

ALTER TABLE calendar_events DROP CONSTRAINT calendar_events_color_chk;

ALTER TABLE calendar_events
    ADD CONSTRAINT calendar_events_color_chk CHECK (color IS NULL OR color ~ '^#[0-9a-fA-F]{6}$') NOT VALID;
