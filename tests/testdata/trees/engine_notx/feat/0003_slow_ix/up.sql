-- schemagate:no-transaction
CREATE INDEX CONCURRENTLY notes_slow_a_ix ON notes (id, user_id);
SELECT pg_sleep(4);
CREATE INDEX CONCURRENTLY notes_slow_b_ix ON notes (user_id, id);
