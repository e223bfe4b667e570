CREATE TABLE users (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL
);
CREATE TABLE tasks (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner  bigint REFERENCES users (id),
    title  text NOT NULL,
    points integer NOT NULL DEFAULT 0
);
