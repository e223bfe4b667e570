-- schemagate:imported-from golang-migrate 1
CREATE TABLE accounts (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);
