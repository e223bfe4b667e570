-- schemagate:imported-from diesel 20200103000001
CREATE TABLE mail_messages (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_id bigint NOT NULL REFERENCES users,
    subject   text NOT NULL
);
