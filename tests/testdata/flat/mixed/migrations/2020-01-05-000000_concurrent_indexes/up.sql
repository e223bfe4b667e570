CREATE INDEX CONCURRENTLY tasks_assignee_idx ON tasks (assignee_id);
CREATE INDEX CONCURRENTLY users_email_lower_idx ON users (lower(email));
