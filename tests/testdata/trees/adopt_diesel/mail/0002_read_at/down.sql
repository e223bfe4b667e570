ALTER TABLE mail_messages DROP COLUMN read_at;
