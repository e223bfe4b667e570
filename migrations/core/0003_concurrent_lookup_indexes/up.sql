-- schemagate:no-transaction
-- core/0003_concurrent_lookup_indexes
-- Lookup indexes on large, write-hot core tables, built without blocking
-- writes. Runs outside a transaction, one statement at a time.
-- If a build fails it leaves an INVALID index behind: run down.sql (which
-- uses DROP INDEX CONCURRENTLY IF EXISTS) and re-apply.

CREATE INDEX CONCURRENTLY sessions_expires_at_active_idx ON sessions (expires_at) WHERE revoked_at IS NULL;

CREATE INDEX CONCURRENTLY audit_events_target_idx ON audit_events (target_type, target_id, occurred_at DESC);

CREATE INDEX CONCURRENTLY api_keys_key_prefix_active_idx ON api_keys (key_prefix) WHERE revoked_at IS NULL;

CREATE INDEX CONCURRENTLY users_last_login_at_idx ON users (last_login_at DESC) WHERE is_active;
