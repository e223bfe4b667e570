ALTER TABLE accounts DROP COLUMN display_name;
DROP TABLE comments;
