ALTER TABLE tasks DROP COLUMN source_message_id;
