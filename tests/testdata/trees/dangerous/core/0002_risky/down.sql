ALTER TABLE sessions DROP CONSTRAINT sessions_token_chk;
ALTER TABLE accounts ALTER COLUMN created_at TYPE timestamp;
ALTER TABLE accounts DROP COLUMN api_key;
ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL;
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;
ALTER TABLE accounts DROP CONSTRAINT accounts_balance_chk;
DROP INDEX accounts_name_idx;
