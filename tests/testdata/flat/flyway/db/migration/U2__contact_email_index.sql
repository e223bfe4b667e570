DROP INDEX crm_contacts_email_key;
