ALTER TABLE accounts RENAME COLUMN display_name TO name;
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100);
