-- meet/0001_init (down)

DROP TRIGGER whiteboard_elements_set_updated_at ON whiteboard_elements;
DROP TRIGGER whiteboard_boards_set_updated_at ON whiteboard_boards;
DROP TRIGGER meeting_summaries_set_updated_at ON meeting_summaries;
DROP TRIGGER meet_rooms_set_updated_at ON meet_rooms;

DROP TABLE whiteboard_elements;
DROP TABLE whiteboard_boards;
DROP TABLE meeting_summaries;
DROP TABLE meeting_breakout_rooms;
DROP TABLE meeting_poll_votes;
DROP TABLE meeting_polls;
DROP TABLE meeting_chat_messages;
DROP TABLE meeting_transcript_segments;
DROP TABLE meeting_transcripts;
DROP TABLE meeting_recordings;
DROP TABLE meeting_participants;
DROP TABLE meeting_sessions;
DROP TABLE meet_rooms;

DROP TYPE meet_participant_role;
