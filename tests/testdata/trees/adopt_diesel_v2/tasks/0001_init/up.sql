-- schemagate:imported-from diesel 20200103000000
CREATE TABLE tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL,
    assignee_id bigint REFERENCES users
);
