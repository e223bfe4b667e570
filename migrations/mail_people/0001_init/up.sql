-- mail_people/0001_init

CREATE TABLE email_contact_links (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    contact_id bigint NOT NULL REFERENCES crm_contacts (id) ON DELETE CASCADE,
    link_role varchar(8) NOT NULL,
    matched_by varchar(16) NOT NULL DEFAULT 'email_address',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_contact_links_role_chk CHECK (link_role IN ('from', 'to', 'cc', 'bcc')),
    CONSTRAINT email_contact_links_matched_by_chk CHECK (matched_by IN ('email_address', 'manual', 'bot')),
    CONSTRAINT email_contact_links_message_contact_role_key UNIQUE (message_id, contact_id, link_role)
);

CREATE INDEX email_contact_links_contact_created_idx ON email_contact_links (contact_id, created_at DESC);

CREATE TABLE crm_email_activities (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id bigint NOT NULL REFERENCES crm_activities (id) ON DELETE CASCADE,
    message_id bigint NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    thread_id bigint REFERENCES email_threads (id) ON DELETE SET NULL,
    direction varchar(8) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_email_activities_direction_chk CHECK (direction IN ('inbound', 'outbound')),
    CONSTRAINT crm_email_activities_activity_key UNIQUE (activity_id),
    CONSTRAINT crm_email_activities_message_key UNIQUE (message_id)
);

CREATE INDEX crm_email_activities_thread_id_idx ON crm_email_activities (thread_id);

CREATE TABLE mail_people_sync_settings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    default_owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    auto_create_contacts boolean NOT NULL DEFAULT false,
    log_inbound boolean NOT NULL DEFAULT true,
    log_outbound boolean NOT NULL DEFAULT true,
    excluded_domains text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_people_sync_settings_account_key UNIQUE (account_id)
);

CREATE INDEX mail_people_sync_settings_default_owner_id_idx ON mail_people_sync_settings (default_owner_id);

CREATE TRIGGER mail_people_sync_settings_set_updated_at BEFORE UPDATE ON mail_people_sync_settings FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
