-- schemagate:imported-from flyway 1
CREATE TABLE accounts (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);
