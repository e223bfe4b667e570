-- A new enum value used at once, a narrowing and a rename.
ALTER TYPE account_state ADD VALUE 'frozen';
UPDATE accounts SET state = 'frozen' WHERE plan = 'suspended';
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(50);
ALTER TABLE accounts RENAME COLUMN name TO display_name;
