-- calendar/0003_validate_event_checks
-- Validates the constraints added NOT VALID by calendar/0002. VALIDATE
-- CONSTRAINT only takes a SHARE UPDATE EXCLUSIVE lock, so reads and writes on
-- calendar_events continue during the scan.

ALTER TABLE calendar_events VALIDATE CONSTRAINT calendar_events_color_chk;

ALTER TABLE calendar_events VALIDATE CONSTRAINT calendar_events_conference_url_chk;
