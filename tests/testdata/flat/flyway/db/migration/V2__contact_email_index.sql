CREATE UNIQUE INDEX crm_contacts_email_key ON crm_contacts (organization_id, lower(email));
