-- core/0003_concurrent_lookup_indexes (down)
-- Like up.sql this runs outside a transaction (DROP INDEX CONCURRENTLY).

DROP INDEX CONCURRENTLY IF EXISTS users_last_login_at_idx;

DROP INDEX CONCURRENTLY IF EXISTS api_keys_key_prefix_active_idx;

DROP INDEX CONCURRENTLY IF EXISTS audit_events_target_idx;

DROP INDEX CONCURRENTLY IF EXISTS sessions_expires_at_active_idx;
