-- meet/0001_init

CREATE TYPE meet_participant_role AS ENUM ('host', 'co_host', 'presenter', 'attendee', 'viewer');

CREATE TABLE meet_rooms (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(200) NOT NULL,
    slug varchar(100) NOT NULL,
    is_persistent boolean NOT NULL DEFAULT true,
    passcode_hash text,
    max_participants integer NOT NULL DEFAULT 100,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meet_rooms_max_participants_chk CHECK (max_participants BETWEEN 2 AND 1000),
    CONSTRAINT meet_rooms_slug_format_chk CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    CONSTRAINT meet_rooms_organization_slug_key UNIQUE (organization_id, slug)
);

CREATE INDEX meet_rooms_owner_id_idx ON meet_rooms (owner_id);

CREATE TABLE meeting_sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id bigint NOT NULL REFERENCES meet_rooms (id) ON DELETE CASCADE,
    calendar_event_id bigint REFERENCES calendar_events (id) ON DELETE SET NULL,
    host_id bigint REFERENCES users (id) ON DELETE SET NULL,
    notetaker_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    title varchar(300),
    status varchar(16) NOT NULL DEFAULT 'scheduled',
    scheduled_start_at timestamptz,
    started_at timestamptz,
    ended_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_sessions_status_chk CHECK (status IN ('scheduled', 'live', 'ended', 'cancelled')),
    CONSTRAINT meeting_sessions_range_chk CHECK (ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at)
);

CREATE INDEX meeting_sessions_room_started_idx ON meeting_sessions (room_id, started_at DESC);
CREATE INDEX meeting_sessions_calendar_event_id_idx ON meeting_sessions (calendar_event_id);
CREATE INDEX meeting_sessions_host_id_idx ON meeting_sessions (host_id);
CREATE INDEX meeting_sessions_notetaker_bot_id_idx ON meeting_sessions (notetaker_bot_id);
CREATE INDEX meeting_sessions_live_idx ON meeting_sessions (room_id) WHERE status = 'live';

CREATE TABLE meeting_participants (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    guest_name varchar(200),
    role meet_participant_role NOT NULL DEFAULT 'attendee',
    joined_at timestamptz NOT NULL DEFAULT now(),
    left_at timestamptz,
    client_info jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT meeting_participants_identity_chk CHECK (user_id IS NOT NULL OR guest_name IS NOT NULL),
    CONSTRAINT meeting_participants_range_chk CHECK (left_at IS NULL OR left_at >= joined_at)
);

CREATE INDEX meeting_participants_session_id_idx ON meeting_participants (session_id);
CREATE INDEX meeting_participants_user_id_idx ON meeting_participants (user_id);

CREATE TABLE meeting_recordings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    storage_key text NOT NULL,
    format varchar(8) NOT NULL DEFAULT 'mp4',
    status varchar(16) NOT NULL DEFAULT 'processing',
    duration_seconds integer,
    byte_size bigint,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_recordings_storage_key_key UNIQUE (storage_key),
    CONSTRAINT meeting_recordings_format_chk CHECK (format IN ('mp4', 'webm', 'm4a')),
    CONSTRAINT meeting_recordings_status_chk CHECK (status IN ('processing', 'ready', 'failed', 'deleted')),
    CONSTRAINT meeting_recordings_duration_chk CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    CONSTRAINT meeting_recordings_byte_size_chk CHECK (byte_size IS NULL OR byte_size >= 0)
);

CREATE INDEX meeting_recordings_session_id_idx ON meeting_recordings (session_id);

CREATE TABLE meeting_transcripts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    recording_id bigint REFERENCES meeting_recordings (id) ON DELETE SET NULL,
    language varchar(16) NOT NULL DEFAULT 'en',
    status varchar(16) NOT NULL DEFAULT 'pending',
    full_text text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT meeting_transcripts_status_chk CHECK (status IN ('pending', 'processing', 'ready', 'failed'))
);

CREATE INDEX meeting_transcripts_session_id_idx ON meeting_transcripts (session_id);
CREATE INDEX meeting_transcripts_recording_id_idx ON meeting_transcripts (recording_id);

CREATE TABLE meeting_transcript_segments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transcript_id bigint NOT NULL REFERENCES meeting_transcripts (id) ON DELETE CASCADE,
    participant_id bigint REFERENCES meeting_participants (id) ON DELETE SET NULL,
    speaker_label varchar(100),
    start_ms integer NOT NULL,
    end_ms integer NOT NULL,
    content text NOT NULL,
    confidence numeric(4,3),
    CONSTRAINT meeting_transcript_segments_range_chk CHECK (start_ms >= 0 AND end_ms >= start_ms),
    CONSTRAINT meeting_transcript_segments_confidence_chk CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1)
);

CREATE INDEX meeting_transcript_segments_transcript_start_idx ON meeting_transcript_segments (transcript_id, start_ms);
CREATE INDEX meeting_transcript_segments_participant_id_idx ON meeting_transcript_segments (participant_id);

CREATE TABLE meeting_chat_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    participant_id bigint REFERENCES meeting_participants (id) ON DELETE SET NULL,
    body text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX meeting_chat_messages_session_sent_idx ON meeting_chat_messages (session_id, sent_at);
CREATE INDEX meeting_chat_messages_participant_id_idx ON meeting_chat_messages (participant_id);

CREATE TABLE meeting_polls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    question text NOT NULL,
    options jsonb NOT NULL,
    is_anonymous boolean NOT NULL DEFAULT false,
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_polls_options_chk CHECK (jsonb_typeof(options) = 'array' AND jsonb_array_length(options) >= 2)
);

CREATE INDEX meeting_polls_session_id_idx ON meeting_polls (session_id);
CREATE INDEX meeting_polls_created_by_idx ON meeting_polls (created_by);

CREATE TABLE meeting_poll_votes (
    poll_id bigint NOT NULL REFERENCES meeting_polls (id) ON DELETE CASCADE,
    participant_id bigint NOT NULL REFERENCES meeting_participants (id) ON DELETE CASCADE,
    option_index smallint NOT NULL,
    voted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, participant_id),
    CONSTRAINT meeting_poll_votes_option_chk CHECK (option_index >= 0)
);

CREATE INDEX meeting_poll_votes_participant_id_idx ON meeting_poll_votes (participant_id);

CREATE TABLE meeting_breakout_rooms (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    opened_at timestamptz,
    closed_at timestamptz,
    CONSTRAINT meeting_breakout_rooms_session_name_key UNIQUE (session_id, name),
    CONSTRAINT meeting_breakout_rooms_range_chk CHECK (closed_at IS NULL OR opened_at IS NULL OR closed_at >= opened_at)
);

CREATE TABLE meeting_summaries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES meeting_sessions (id) ON DELETE CASCADE,
    generated_by_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    summary text NOT NULL,
    action_items jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_summaries_session_key UNIQUE (session_id),
    CONSTRAINT meeting_summaries_action_items_chk CHECK (jsonb_typeof(action_items) = 'array')
);

CREATE INDEX meeting_summaries_generated_by_bot_id_idx ON meeting_summaries (generated_by_bot_id);

CREATE TABLE whiteboard_boards (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    session_id bigint REFERENCES meeting_sessions (id) ON DELETE SET NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title varchar(300) NOT NULL DEFAULT 'Untitled board',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX whiteboard_boards_organization_id_idx ON whiteboard_boards (organization_id);
CREATE INDEX whiteboard_boards_session_id_idx ON whiteboard_boards (session_id);
CREATE INDEX whiteboard_boards_owner_id_idx ON whiteboard_boards (owner_id);

CREATE TABLE whiteboard_elements (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    board_id bigint NOT NULL REFERENCES whiteboard_boards (id) ON DELETE CASCADE,
    element_type varchar(16) NOT NULL,
    data jsonb NOT NULL DEFAULT '{}'::jsonb,
    z_index integer NOT NULL DEFAULT 0,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT whiteboard_elements_type_chk CHECK (element_type IN ('shape', 'text', 'sticky', 'line', 'image', 'freehand'))
);

CREATE INDEX whiteboard_elements_board_z_idx ON whiteboard_elements (board_id, z_index);
CREATE INDEX whiteboard_elements_created_by_idx ON whiteboard_elements (created_by);

CREATE TRIGGER meet_rooms_set_updated_at BEFORE UPDATE ON meet_rooms FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER meeting_summaries_set_updated_at BEFORE UPDATE ON meeting_summaries FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER whiteboard_boards_set_updated_at BEFORE UPDATE ON whiteboard_boards FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER whiteboard_elements_set_updated_at BEFORE UPDATE ON whiteboard_elements FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
