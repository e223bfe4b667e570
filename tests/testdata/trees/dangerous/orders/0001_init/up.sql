CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    total numeric(12,2) NOT NULL
);
CREATE INDEX orders_account_idx ON orders (account_id);
-- A feature reaching into core's table, the risky way.
ALTER TABLE accounts ADD COLUMN last_order_id bigint REFERENCES orders (id);
