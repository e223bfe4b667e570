-- schemagate:no-transaction
CREATE INDEX CONCURRENTLY notes_ok_ix ON notes (id, user_id);
-- fails when two notes share a user
CREATE UNIQUE INDEX CONCURRENTLY notes_one_per_user_ix ON notes (user_id);
