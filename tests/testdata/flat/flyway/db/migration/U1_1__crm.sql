DROP TABLE crm_contacts;
