-- Everything here blocks the application on a table that already exists.
CREATE INDEX accounts_name_idx ON accounts (name);
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_chk CHECK (balance >= 0);
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;
ALTER TABLE accounts ADD COLUMN api_key uuid DEFAULT gen_random_uuid();
ALTER TABLE accounts ALTER COLUMN created_at TYPE timestamptz;
ALTER TABLE sessions ADD CONSTRAINT sessions_token_chk CHECK (length(token) > 10);
