ALTER TABLE customers RENAME COLUMN full_name TO display_name;
ALTER TABLE customers ALTER COLUMN display_name TYPE varchar(200);
ALTER TABLE customers ADD COLUMN legacy_code int;
ALTER TABLE customers DROP COLUMN legacy_code;
