-- schemagate:imported-from golang-migrate 2
-- schemagate:imported-from golang-migrate 3
ALTER TABLE accounts ADD COLUMN email text;
CREATE UNIQUE INDEX accounts_email_ix ON accounts (email);
