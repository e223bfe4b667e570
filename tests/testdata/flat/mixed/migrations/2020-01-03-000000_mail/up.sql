CREATE TABLE email_messages (
    id bigserial PRIMARY KEY,
    sender_id bigint REFERENCES users (id),
    subject text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE task_emails (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    message_id bigint NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, message_id)
);
ALTER TABLE tasks ADD COLUMN source_message_id bigint REFERENCES email_messages (id);
