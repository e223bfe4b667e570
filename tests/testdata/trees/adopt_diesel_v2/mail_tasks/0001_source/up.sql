-- schemagate:imported-from diesel 20200106000000
ALTER TABLE tasks ADD COLUMN source_message_id bigint
    CONSTRAINT tasks_source_message_fkey REFERENCES mail_messages ON DELETE SET NULL;
