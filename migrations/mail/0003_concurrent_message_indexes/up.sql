-- schemagate:no-transaction
-- mail/0003_concurrent_message_indexes
-- Search/lookup indexes on the largest mail tables, built without blocking
-- mail ingestion. Runs outside a transaction, one statement at a time.
-- If a build fails it leaves an INVALID index: run down.sql, then re-apply.

-- Threading: find a message by its Message-ID / In-Reply-To header.
CREATE INDEX CONCURRENTLY email_messages_message_id_header_idx ON email_messages (message_id_header);

CREATE INDEX CONCURRENTLY email_messages_in_reply_to_idx ON email_messages (in_reply_to) WHERE in_reply_to IS NOT NULL;

-- "All mail from / to this address".
CREATE INDEX CONCURRENTLY email_messages_from_address_lower_idx ON email_messages (account_id, lower(from_address));

CREATE INDEX CONCURRENTLY email_messages_to_addresses_gin_idx ON email_messages USING gin (to_addresses);

-- Wake-up scan for snoozed threads (column added by mail/0002).
CREATE INDEX CONCURRENTLY email_threads_snoozed_until_idx ON email_threads (snoozed_until) WHERE snoozed_until IS NOT NULL;
