ALTER TABLE posts RENAME COLUMN content TO body;
ALTR TABLE comments DROP COLUMN edited_at;
