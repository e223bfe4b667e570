ALTER TABLE posts RENAME COLUMN body TO content;
ALTER TABLE comments ADD COLUMN edited_at timestamptz;
