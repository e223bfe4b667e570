-- schemagate:no-transaction
CREATE INDEX CONCURRENTLY sessions_token_idx ON sessions (token);
ALTER TABLE sessions VALIDATE CONSTRAINT sessions_expiry_nn;
-- Validated above, so this needs no scan.
ALTER TABLE sessions ALTER COLUMN expires_at SET NOT NULL;
