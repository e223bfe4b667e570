-- The safe rewrites: none of these blocks.
ALTER TABLE accounts ALTER COLUMN plan TYPE varchar(40);
ALTER TABLE accounts ADD COLUMN seen_at timestamptz DEFAULT now();
-- A new table, with everything done to it at once.
CREATE TABLE login_events (id bigint PRIMARY KEY, account_id bigint, at timestamptz);
CREATE INDEX login_events_account_idx ON login_events (account_id);
ALTER TABLE login_events ADD CONSTRAINT login_events_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE login_events ALTER COLUMN at SET NOT NULL;
