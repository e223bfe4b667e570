-- mail_people/0001_init (down)

DROP TRIGGER mail_people_sync_settings_set_updated_at ON mail_people_sync_settings;

DROP TABLE mail_people_sync_settings;
DROP TABLE crm_email_activities;
DROP TABLE email_contact_links;
