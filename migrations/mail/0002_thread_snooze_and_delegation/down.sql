-- mail/0002_thread_snooze_and_delegation (down)

DROP TABLE email_delegations;

ALTER TABLE email_threads
    DROP COLUMN is_muted,
    DROP COLUMN snoozed_until;
