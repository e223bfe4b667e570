ALTER TABLE tasks ALTER COLUMN points TYPE integer;
DROP INDEX users_email_idx;
