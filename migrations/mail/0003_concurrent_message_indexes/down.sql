-- mail/0003_concurrent_message_indexes (down)
-- Runs outside a transaction, like up.sql.

DROP INDEX CONCURRENTLY IF EXISTS email_threads_snoozed_until_idx;

DROP INDEX CONCURRENTLY IF EXISTS email_messages_to_addresses_gin_idx;

DROP INDEX CONCURRENTLY IF EXISTS email_messages_from_address_lower_idx;

DROP INDEX CONCURRENTLY IF EXISTS email_messages_in_reply_to_idx;

DROP INDEX CONCURRENTLY IF EXISTS email_messages_message_id_header_idx;
