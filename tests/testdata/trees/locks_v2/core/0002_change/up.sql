-- schemagate:allow index-not-concurrent users stays a few rows (one per operator)
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE tasks ALTER COLUMN points TYPE bigint;
