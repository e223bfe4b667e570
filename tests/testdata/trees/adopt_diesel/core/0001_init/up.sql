-- schemagate:imported-from diesel 00000000000000
-- schemagate:imported-from diesel 20200101000000
CREATE TABLE users (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE
);
