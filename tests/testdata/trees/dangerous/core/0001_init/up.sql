CREATE TYPE account_state AS ENUM ('active', 'closed');
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state account_state NOT NULL DEFAULT 'active',
    email varchar(100) NOT NULL,
    name text,
    plan varchar(20),
    balance numeric(12,2) NOT NULL DEFAULT 0,
    created_at timestamp NOT NULL DEFAULT now()
);
CREATE TABLE sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    token text NOT NULL
);
-- Indexes on the tables this migration creates: empty tables, no risk.
CREATE INDEX accounts_email_idx ON accounts (email);
CREATE INDEX sessions_account_idx ON sessions (account_id);
ALTER TABLE sessions ADD CONSTRAINT sessions_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
