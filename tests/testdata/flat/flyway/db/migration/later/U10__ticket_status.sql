DROP INDEX support_tickets_open_idx;
ALTER TABLE support_tickets DROP COLUMN status;
DROP TYPE ticket_status;
