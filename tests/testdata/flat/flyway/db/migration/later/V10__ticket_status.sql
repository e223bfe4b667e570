CREATE TYPE ticket_status AS ENUM ('open', 'pending', 'closed');
ALTER TABLE support_tickets ADD COLUMN status ticket_status NOT NULL DEFAULT 'open';
CREATE INDEX support_tickets_open_idx ON support_tickets (organization_id) WHERE status = 'open';
