-- mail/0002_thread_snooze_and_delegation
-- Thread snoozing/muting and mailbox delegation. The partial index on the
-- new snoozed_until column is built concurrently by mail/0003.

ALTER TABLE email_threads
    ADD COLUMN snoozed_until timestamptz,
    ADD COLUMN is_muted boolean NOT NULL DEFAULT false;

CREATE TABLE email_delegations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    delegate_user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission varchar(16) NOT NULL DEFAULT 'read',
    granted_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    CONSTRAINT email_delegations_permission_chk CHECK (permission IN ('read', 'send_as', 'send_on_behalf', 'manage')),
    CONSTRAINT email_delegations_account_delegate_key UNIQUE (account_id, delegate_user_id)
);

CREATE INDEX email_delegations_delegate_user_id_idx ON email_delegations (delegate_user_id);
CREATE INDEX email_delegations_granted_by_idx ON email_delegations (granted_by);
