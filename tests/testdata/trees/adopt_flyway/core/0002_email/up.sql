-- schemagate:imported-from flyway 1.1
ALTER TABLE accounts ADD COLUMN email text;
