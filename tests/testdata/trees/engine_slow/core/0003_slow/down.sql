ALTER TABLE users DROP COLUMN slow_flag;
DROP TABLE slow_table;
