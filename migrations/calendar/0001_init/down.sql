-- calendar/0001_init (down)

DROP TRIGGER calendar_booking_pages_set_updated_at ON calendar_booking_pages;
DROP TRIGGER calendar_events_set_updated_at ON calendar_events;
DROP TRIGGER calendars_set_updated_at ON calendars;

DROP TABLE calendar_sync_tokens;
DROP TABLE calendar_booking_pages;
DROP TABLE calendar_subscriptions;
DROP TABLE calendar_availability_rules;
DROP TABLE calendar_resource_bookings;
DROP TABLE calendar_resources;
DROP TABLE calendar_event_exceptions;
DROP TABLE calendar_shares;
DROP TABLE calendar_reminders;
DROP TABLE calendar_attendees;
DROP TABLE calendar_events;
DROP TABLE calendars;

DROP TYPE calendar_event_visibility;
DROP TYPE calendar_attendee_status;
