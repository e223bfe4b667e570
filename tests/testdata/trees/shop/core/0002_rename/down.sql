ALTER TABLE customers ALTER COLUMN display_name TYPE text;
ALTER TABLE customers RENAME COLUMN display_name TO full_name;
