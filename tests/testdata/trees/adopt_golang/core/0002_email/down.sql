DROP INDEX accounts_email_ix;
ALTER TABLE accounts DROP COLUMN email;
