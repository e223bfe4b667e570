-- mail/0001_init

CREATE TYPE mail_folder_role AS ENUM ('inbox', 'sent', 'drafts', 'archive', 'spam', 'trash', 'custom');

CREATE TYPE mail_outbox_status AS ENUM ('queued', 'sending', 'sent', 'failed', 'cancelled');

-- A mailbox. user_id is NULL for shared mailboxes (support@, sales@, ...).
CREATE TABLE email_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    email_address varchar(320) NOT NULL,
    display_name varchar(200),
    provider varchar(16) NOT NULL,
    imap_host varchar(255),
    imap_port integer,
    smtp_host varchar(255),
    smtp_port integer,
    credentials_ref text,
    is_shared boolean NOT NULL DEFAULT false,
    sync_state jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_synced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_accounts_provider_chk CHECK (provider IN ('imap', 'gmail', 'microsoft', 'smtp_only')),
    CONSTRAINT email_accounts_imap_port_chk CHECK (imap_port IS NULL OR imap_port BETWEEN 1 AND 65535),
    CONSTRAINT email_accounts_smtp_port_chk CHECK (smtp_port IS NULL OR smtp_port BETWEEN 1 AND 65535),
    CONSTRAINT email_accounts_owner_chk CHECK (is_shared OR user_id IS NOT NULL),
    CONSTRAINT email_accounts_organization_address_key UNIQUE (organization_id, email_address)
);

CREATE INDEX email_accounts_user_id_idx ON email_accounts (user_id);
CREATE INDEX email_accounts_bot_id_idx ON email_accounts (bot_id);

CREATE TABLE email_folders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    parent_id bigint REFERENCES email_folders (id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    role mail_folder_role NOT NULL DEFAULT 'custom',
    remote_path text NOT NULL,
    uid_validity bigint,
    unread_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_folders_unread_count_chk CHECK (unread_count >= 0),
    CONSTRAINT email_folders_account_path_key UNIQUE (account_id, remote_path)
);

CREATE INDEX email_folders_parent_id_idx ON email_folders (parent_id);
CREATE UNIQUE INDEX email_folders_system_role_key ON email_folders (account_id, role) WHERE role <> 'custom';

CREATE TABLE email_threads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    subject text,
    snippet varchar(300),
    message_count integer NOT NULL DEFAULT 0,
    last_message_at timestamptz,
    is_starred boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_threads_message_count_chk CHECK (message_count >= 0)
);

CREATE INDEX email_threads_account_last_message_idx ON email_threads (account_id, last_message_at DESC);

CREATE TABLE email_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    folder_id bigint REFERENCES email_folders (id) ON DELETE SET NULL,
    thread_id bigint REFERENCES email_threads (id) ON DELETE SET NULL,
    message_id_header varchar(998),
    in_reply_to varchar(998),
    remote_uid bigint,
    from_address varchar(320),
    from_name varchar(300),
    to_addresses text[] NOT NULL DEFAULT '{}',
    cc_addresses text[] NOT NULL DEFAULT '{}',
    bcc_addresses text[] NOT NULL DEFAULT '{}',
    subject text,
    body_text text,
    body_html text,
    snippet varchar(300),
    sent_at timestamptz,
    received_at timestamptz,
    is_read boolean NOT NULL DEFAULT false,
    is_flagged boolean NOT NULL DEFAULT false,
    is_draft boolean NOT NULL DEFAULT false,
    size_bytes integer,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_messages_size_chk CHECK (size_bytes IS NULL OR size_bytes >= 0),
    CONSTRAINT email_messages_folder_uid_key UNIQUE (folder_id, remote_uid)
);

CREATE INDEX email_messages_account_received_idx ON email_messages (account_id, received_at DESC);
CREATE INDEX email_messages_thread_id_idx ON email_messages (thread_id);
CREATE INDEX email_messages_folder_unread_idx ON email_messages (folder_id) WHERE NOT is_read;

CREATE TABLE email_attachments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    filename varchar(255) NOT NULL,
    mime_type varchar(255) NOT NULL DEFAULT 'application/octet-stream',
    byte_size bigint NOT NULL,
    content_id varchar(255),
    storage_key text NOT NULL,
    is_inline boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_attachments_byte_size_chk CHECK (byte_size >= 0)
);

CREATE INDEX email_attachments_message_id_idx ON email_attachments (message_id);

CREATE TABLE email_labels (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    color varchar(7),
    CONSTRAINT email_labels_account_name_key UNIQUE (account_id, name),
    CONSTRAINT email_labels_color_chk CHECK (color IS NULL OR color ~ '^#[0-9a-fA-F]{6}$')
);

CREATE TABLE email_message_labels (
    message_id bigint NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    label_id bigint NOT NULL REFERENCES email_labels (id) ON DELETE CASCADE,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, label_id)
);

CREATE INDEX email_message_labels_label_id_idx ON email_message_labels (label_id);

CREATE TABLE email_templates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(200) NOT NULL,
    subject text NOT NULL,
    body_html text,
    body_text text,
    variables text[] NOT NULL DEFAULT '{}',
    is_shared boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_templates_body_chk CHECK (body_html IS NOT NULL OR body_text IS NOT NULL),
    CONSTRAINT email_templates_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX email_templates_owner_id_idx ON email_templates (owner_id);

CREATE TABLE distribution_lists (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    email_address varchar(320) NOT NULL,
    description text,
    is_moderated boolean NOT NULL DEFAULT false,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT distribution_lists_organization_address_key UNIQUE (organization_id, email_address)
);

CREATE INDEX distribution_lists_created_by_idx ON distribution_lists (created_by);

CREATE TABLE distribution_list_members (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    list_id bigint NOT NULL REFERENCES distribution_lists (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    email varchar(320) NOT NULL,
    added_by bigint REFERENCES users (id) ON DELETE SET NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT distribution_list_members_list_email_key UNIQUE (list_id, email)
);

CREATE INDEX distribution_list_members_user_id_idx ON distribution_list_members (user_id);
CREATE INDEX distribution_list_members_added_by_idx ON distribution_list_members (added_by);

CREATE TABLE global_email_signatures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    body_html text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    is_enforced boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT global_email_signatures_organization_name_key UNIQUE (organization_id, name)
);

CREATE UNIQUE INDEX global_email_signatures_one_default_key ON global_email_signatures (organization_id) WHERE is_default;

CREATE TABLE email_user_signatures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    body_html text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_user_signatures_account_name_key UNIQUE (account_id, name)
);

CREATE UNIQUE INDEX email_user_signatures_one_default_key ON email_user_signatures (account_id) WHERE is_default;

CREATE TABLE email_rules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    conditions jsonb NOT NULL,
    actions jsonb NOT NULL,
    priority integer NOT NULL DEFAULT 100,
    is_enabled boolean NOT NULL DEFAULT true,
    stop_processing boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_rules_actions_chk CHECK (jsonb_typeof(actions) = 'array')
);

CREATE INDEX email_rules_account_priority_idx ON email_rules (account_id, priority);

CREATE TABLE email_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    message_id bigint REFERENCES email_messages (id) ON DELETE SET NULL,
    status mail_outbox_status NOT NULL DEFAULT 'queued',
    scheduled_for timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_outbox_attempts_chk CHECK (attempts >= 0),
    CONSTRAINT email_outbox_sent_chk CHECK (status <> 'sent' OR sent_at IS NOT NULL)
);

CREATE INDEX email_outbox_account_id_idx ON email_outbox (account_id);
CREATE INDEX email_outbox_message_id_idx ON email_outbox (message_id);
CREATE INDEX email_outbox_queued_idx ON email_outbox (scheduled_for) WHERE status = 'queued';

CREATE TABLE email_tracking_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    event_type varchar(16) NOT NULL,
    url text,
    ip_address inet,
    user_agent text,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_tracking_events_type_chk CHECK (event_type IN ('delivered', 'opened', 'clicked', 'bounced', 'complained'))
);

CREATE INDEX email_tracking_events_message_occurred_idx ON email_tracking_events (message_id, occurred_at);

CREATE TABLE email_blocked_senders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    sender_pattern varchar(320) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_blocked_senders_account_pattern_key UNIQUE (account_id, sender_pattern)
);

CREATE TABLE email_auto_replies (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    subject text NOT NULL,
    body_text text NOT NULL,
    starts_at timestamptz,
    ends_at timestamptz,
    is_enabled boolean NOT NULL DEFAULT false,
    only_known_senders boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_auto_replies_account_key UNIQUE (account_id),
    CONSTRAINT email_auto_replies_range_chk CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);

CREATE TRIGGER email_accounts_set_updated_at BEFORE UPDATE ON email_accounts FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER email_threads_set_updated_at BEFORE UPDATE ON email_threads FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER email_templates_set_updated_at BEFORE UPDATE ON email_templates FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER global_email_signatures_set_updated_at BEFORE UPDATE ON global_email_signatures FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
