CREATE TABLE slow_table (id bigint PRIMARY KEY);
INSERT INTO slow_table SELECT g FROM generate_series(1, 1000) g;
SELECT pg_sleep(4);
ALTER TABLE users ADD COLUMN slow_flag boolean NOT NULL DEFAULT false;
