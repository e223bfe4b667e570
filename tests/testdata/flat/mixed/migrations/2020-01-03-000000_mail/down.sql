ALTER TABLE tasks DROP COLUMN source_message_id;
DROP TABLE task_emails;
DROP TABLE email_messages;
