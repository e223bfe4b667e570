-- mail/0001_init (down)

DROP TRIGGER global_email_signatures_set_updated_at ON global_email_signatures;
DROP TRIGGER email_templates_set_updated_at ON email_templates;
DROP TRIGGER email_threads_set_updated_at ON email_threads;
DROP TRIGGER email_accounts_set_updated_at ON email_accounts;

DROP TABLE email_auto_replies;
DROP TABLE email_blocked_senders;
DROP TABLE email_tracking_events;
DROP TABLE email_outbox;
DROP TABLE email_rules;
DROP TABLE email_user_signatures;
DROP TABLE global_email_signatures;
DROP TABLE distribution_list_members;
DROP TABLE distribution_lists;
DROP TABLE email_templates;
DROP TABLE email_message_labels;
DROP TABLE email_labels;
DROP TABLE email_attachments;
DROP TABLE email_messages;
DROP TABLE email_threads;
DROP TABLE email_folders;
DROP TABLE email_accounts;

DROP TYPE mail_outbox_status;
DROP TYPE mail_folder_role;
