-- schemagate:no-transaction
CREATE INDEX CONCURRENTLY notes_user_ix ON notes (user_id);
CREATE INDEX CONCURRENTLY notes_body_ix ON notes (lower(body));
