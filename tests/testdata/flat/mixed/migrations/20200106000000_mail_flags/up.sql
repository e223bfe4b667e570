ALTER TABLE email_messages ADD COLUMN flagged boolean NOT NULL DEFAULT false;
