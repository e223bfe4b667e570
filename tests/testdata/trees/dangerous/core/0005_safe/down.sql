DROP TABLE login_events;
ALTER TABLE accounts DROP COLUMN seen_at;
