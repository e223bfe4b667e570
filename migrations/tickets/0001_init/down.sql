-- tickets/0001_init (down)

DELETE FROM rbac_permissions
WHERE code IN ('tickets.tickets.read', 'tickets.tickets.write', 'tickets.settings.manage');

DROP TRIGGER ticket_macros_set_updated_at ON ticket_macros;
DROP TRIGGER support_tickets_set_updated_at ON support_tickets;

DROP TABLE ticket_macros;
DROP TABLE ticket_satisfaction_surveys;
DROP TABLE ticket_events;
DROP TABLE ticket_tag_assignments;
DROP TABLE ticket_tags;
DROP TABLE ticket_attachments;
DROP TABLE ticket_comments;
DROP TABLE support_tickets;
DROP TABLE ticket_slas;
DROP TABLE ticket_categories;

DROP TYPE ticket_priority;
DROP TYPE ticket_status;
