DROP INDEX CONCURRENTLY sessions_token_idx;
