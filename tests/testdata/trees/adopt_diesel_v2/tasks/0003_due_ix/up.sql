-- schemagate:imported-from diesel 20200105000000
-- schemagate:no-transaction
CREATE INDEX CONCURRENTLY tasks_due_ix ON tasks (due_at);
