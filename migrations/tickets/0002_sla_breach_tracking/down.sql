-- tickets/0002_sla_breach_tracking (down)

DROP TABLE ticket_followers;

ALTER TABLE support_tickets DROP CONSTRAINT support_tickets_reopened_count_chk;

ALTER TABLE support_tickets
    DROP COLUMN reopened_count,
    DROP COLUMN sla_breached_at;
