-- calendar/0001_init

CREATE TYPE calendar_attendee_status AS ENUM ('needs_action', 'accepted', 'declined', 'tentative');

CREATE TYPE calendar_event_visibility AS ENUM ('default', 'public', 'private', 'confidential');

CREATE TABLE calendars (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    description text,
    color varchar(7) NOT NULL DEFAULT '#2563eb',
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    is_primary boolean NOT NULL DEFAULT false,
    is_public boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendars_color_chk CHECK (color ~ '^#[0-9a-fA-F]{6}$')
);

CREATE INDEX calendars_organization_id_idx ON calendars (organization_id);
CREATE INDEX calendars_owner_id_idx ON calendars (owner_id);
CREATE UNIQUE INDEX calendars_one_primary_per_owner_key ON calendars (owner_id) WHERE is_primary;

CREATE TABLE calendar_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    calendar_id bigint NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    ical_uid varchar(255) NOT NULL DEFAULT (gen_random_uuid()::text),
    title varchar(500) NOT NULL,
    description text,
    location text,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    is_all_day boolean NOT NULL DEFAULT false,
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    recurrence_rule text,
    visibility calendar_event_visibility NOT NULL DEFAULT 'default',
    status varchar(16) NOT NULL DEFAULT 'confirmed',
    organizer_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_by_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_events_range_chk CHECK (ends_at >= starts_at),
    CONSTRAINT calendar_events_status_chk CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
    CONSTRAINT calendar_events_calendar_ical_uid_key UNIQUE (calendar_id, ical_uid)
);

CREATE INDEX calendar_events_calendar_starts_at_idx ON calendar_events (calendar_id, starts_at);
CREATE INDEX calendar_events_organizer_id_idx ON calendar_events (organizer_id);
CREATE INDEX calendar_events_created_by_bot_id_idx ON calendar_events (created_by_bot_id);
CREATE INDEX calendar_events_recurring_idx ON calendar_events (calendar_id) WHERE recurrence_rule IS NOT NULL;

CREATE TABLE calendar_attendees (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    email varchar(320) NOT NULL,
    display_name varchar(200),
    status calendar_attendee_status NOT NULL DEFAULT 'needs_action',
    is_optional boolean NOT NULL DEFAULT false,
    responded_at timestamptz,
    CONSTRAINT calendar_attendees_event_email_key UNIQUE (event_id, email)
);

CREATE INDEX calendar_attendees_user_id_idx ON calendar_attendees (user_id);

CREATE TABLE calendar_reminders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    minutes_before integer NOT NULL DEFAULT 10,
    method varchar(16) NOT NULL DEFAULT 'popup',
    CONSTRAINT calendar_reminders_minutes_chk CHECK (minutes_before BETWEEN 0 AND 40320),
    CONSTRAINT calendar_reminders_method_chk CHECK (method IN ('popup', 'email', 'push')),
    CONSTRAINT calendar_reminders_unique_key UNIQUE (event_id, user_id, minutes_before, method)
);

CREATE INDEX calendar_reminders_user_id_idx ON calendar_reminders (user_id);

CREATE TABLE calendar_shares (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    calendar_id bigint NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    shared_with_user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission varchar(16) NOT NULL DEFAULT 'read',
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_shares_permission_chk CHECK (permission IN ('free_busy', 'read', 'write', 'manage')),
    CONSTRAINT calendar_shares_grantee_key UNIQUE (calendar_id, shared_with_user_id)
);

CREATE INDEX calendar_shares_shared_with_user_id_idx ON calendar_shares (shared_with_user_id);
CREATE INDEX calendar_shares_created_by_idx ON calendar_shares (created_by);

-- Per-occurrence overrides of a recurring event.
CREATE TABLE calendar_event_exceptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    original_starts_at timestamptz NOT NULL,
    is_cancelled boolean NOT NULL DEFAULT false,
    override_title varchar(500),
    override_starts_at timestamptz,
    override_ends_at timestamptz,
    override_location text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_event_exceptions_occurrence_key UNIQUE (event_id, original_starts_at),
    CONSTRAINT calendar_event_exceptions_range_chk CHECK (
        override_ends_at IS NULL OR override_starts_at IS NULL OR override_ends_at >= override_starts_at)
);

CREATE TABLE calendar_resources (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    resource_type varchar(16) NOT NULL,
    capacity integer,
    location text,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_resources_type_chk CHECK (resource_type IN ('room', 'equipment', 'vehicle', 'other')),
    CONSTRAINT calendar_resources_capacity_chk CHECK (capacity IS NULL OR capacity > 0),
    CONSTRAINT calendar_resources_organization_name_key UNIQUE (organization_id, name)
);

CREATE TABLE calendar_resource_bookings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id bigint NOT NULL REFERENCES calendar_resources (id) ON DELETE CASCADE,
    event_id bigint NOT NULL REFERENCES calendar_events (id) ON DELETE CASCADE,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'confirmed',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_resource_bookings_range_chk CHECK (ends_at > starts_at),
    CONSTRAINT calendar_resource_bookings_status_chk CHECK (status IN ('pending', 'confirmed', 'declined', 'cancelled')),
    CONSTRAINT calendar_resource_bookings_event_key UNIQUE (resource_id, event_id)
);

CREATE INDEX calendar_resource_bookings_event_id_idx ON calendar_resource_bookings (event_id);
CREATE INDEX calendar_resource_bookings_resource_starts_idx ON calendar_resource_bookings (resource_id, starts_at);

CREATE TABLE calendar_availability_rules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    weekday smallint NOT NULL,
    start_time time NOT NULL,
    end_time time NOT NULL,
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    CONSTRAINT calendar_availability_rules_weekday_chk CHECK (weekday BETWEEN 0 AND 6),
    CONSTRAINT calendar_availability_rules_time_chk CHECK (end_time > start_time),
    CONSTRAINT calendar_availability_rules_slot_key UNIQUE (user_id, weekday, start_time)
);

CREATE TABLE calendar_subscriptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_url text NOT NULL,
    name varchar(200) NOT NULL,
    color varchar(7),
    refresh_interval_minutes integer NOT NULL DEFAULT 60,
    last_synced_at timestamptz,
    sync_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_subscriptions_url_chk CHECK (source_url ~ '^(https?|webcal)://'),
    CONSTRAINT calendar_subscriptions_refresh_chk CHECK (refresh_interval_minutes >= 5),
    CONSTRAINT calendar_subscriptions_user_url_key UNIQUE (user_id, source_url)
);

CREATE TABLE calendar_booking_pages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    calendar_id bigint NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slug varchar(100) NOT NULL,
    title varchar(200) NOT NULL,
    duration_minutes integer NOT NULL DEFAULT 30,
    buffer_minutes integer NOT NULL DEFAULT 0,
    is_active boolean NOT NULL DEFAULT true,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT calendar_booking_pages_slug_key UNIQUE (slug),
    CONSTRAINT calendar_booking_pages_slug_format_chk CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    CONSTRAINT calendar_booking_pages_duration_chk CHECK (duration_minutes BETWEEN 5 AND 1440),
    CONSTRAINT calendar_booking_pages_buffer_chk CHECK (buffer_minutes >= 0)
);

CREATE INDEX calendar_booking_pages_calendar_id_idx ON calendar_booking_pages (calendar_id);
CREATE INDEX calendar_booking_pages_owner_id_idx ON calendar_booking_pages (owner_id);

CREATE TABLE calendar_sync_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    calendar_id bigint NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    provider varchar(16) NOT NULL,
    external_calendar_id varchar(500) NOT NULL,
    sync_token text,
    last_synced_at timestamptz,
    CONSTRAINT calendar_sync_tokens_provider_chk CHECK (provider IN ('google', 'microsoft', 'caldav')),
    CONSTRAINT calendar_sync_tokens_calendar_provider_key UNIQUE (calendar_id, provider)
);

CREATE TRIGGER calendars_set_updated_at BEFORE UPDATE ON calendars FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER calendar_events_set_updated_at BEFORE UPDATE ON calendar_events FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER calendar_booking_pages_set_updated_at BEFORE UPDATE ON calendar_booking_pages FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
