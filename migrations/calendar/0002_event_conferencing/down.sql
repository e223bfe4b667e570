-- calendar/0002_event_conferencing (down)

ALTER TABLE calendar_events DROP CONSTRAINT calendar_events_conference_url_chk;

ALTER TABLE calendar_events DROP CONSTRAINT calendar_events_color_chk;

ALTER TABLE calendar_events
    DROP COLUMN conference_url,
    DROP COLUMN color;
