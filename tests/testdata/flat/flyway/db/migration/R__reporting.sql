CREATE OR REPLACE VIEW open_ticket_counts AS
    SELECT organization_id, count(*) AS open_tickets
    FROM support_tickets
    WHERE status = 'open'
    GROUP BY organization_id;
