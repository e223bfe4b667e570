-- core/0001_init
-- Foundational schema shared by every feature cluster: users and
-- organizations, sessions and API keys, RBAC, bots and their channels and
-- conversations, the knowledge base, automations, audit trail, notifications
-- and webhooks. Also installs the shared core_set_updated_at() trigger helper.

CREATE FUNCTION core_set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

COMMENT ON FUNCTION core_set_updated_at() IS 'BEFORE UPDATE row trigger helper: stamps updated_at with now(). Shared by all clusters.';

CREATE TYPE core_org_member_role AS ENUM ('owner', 'admin', 'member', 'guest');

CREATE TYPE core_bot_status AS ENUM ('draft', 'active', 'paused', 'archived');

-- ---------------------------------------------------------------------------
-- Identity and tenancy
-- ---------------------------------------------------------------------------

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id uuid NOT NULL DEFAULT gen_random_uuid(),
    email varchar(320) NOT NULL,
    display_name varchar(200) NOT NULL,
    password_hash text,
    avatar_url text,
    is_active boolean NOT NULL DEFAULT true,
    is_system_admin boolean NOT NULL DEFAULT false,
    email_verified_at timestamptz,
    last_login_at timestamptz,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_public_id_key UNIQUE (public_id),
    CONSTRAINT users_email_format_chk CHECK (position('@' in email) > 1),
    CONSTRAINT users_display_name_not_blank_chk CHECK (length(btrim(display_name)) > 0)
);

CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE organizations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id uuid NOT NULL DEFAULT gen_random_uuid(),
    slug varchar(63) NOT NULL,
    name varchar(200) NOT NULL,
    plan varchar(32) NOT NULL DEFAULT 'free',
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT organizations_public_id_key UNIQUE (public_id),
    CONSTRAINT organizations_slug_key UNIQUE (slug),
    CONSTRAINT organizations_slug_format_chk CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    CONSTRAINT organizations_plan_chk CHECK (plan IN ('free', 'starter', 'business', 'enterprise'))
);

CREATE INDEX organizations_created_by_idx ON organizations (created_by);

-- Composite primary key: (organization_id, user_id) is referenced by
-- composite foreign keys elsewhere (rbac_user_roles, team_members, ...).
CREATE TABLE organization_members (
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role core_org_member_role NOT NULL DEFAULT 'member',
    invited_by bigint REFERENCES users (id) ON DELETE SET NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);
CREATE INDEX organization_members_invited_by_idx ON organization_members (invited_by);

CREATE TABLE organization_invitations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email varchar(320) NOT NULL,
    role core_org_member_role NOT NULL DEFAULT 'member',
    token_hash text NOT NULL,
    invited_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT organization_invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT organization_invitations_expiry_chk CHECK (expires_at > created_at),
    CONSTRAINT organization_invitations_role_chk CHECK (role <> 'owner')
);

CREATE INDEX organization_invitations_organization_id_idx ON organization_invitations (organization_id);
CREATE INDEX organization_invitations_invited_by_idx ON organization_invitations (invited_by);
CREATE UNIQUE INDEX organization_invitations_pending_email_key
    ON organization_invitations (organization_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL,
    ip_address inet,
    user_agent text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT sessions_expiry_chk CHECK (expires_at > created_at)
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(100) NOT NULL,
    key_prefix varchar(12) NOT NULL,
    key_hash text NOT NULL,
    scopes text[] NOT NULL DEFAULT '{}',
    last_used_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);

CREATE TABLE user_preferences (
    user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    theme varchar(16) NOT NULL DEFAULT 'system',
    notification_settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    ui_settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_preferences_theme_chk CHECK (theme IN ('system', 'light', 'dark'))
);

-- ---------------------------------------------------------------------------
-- RBAC
-- ---------------------------------------------------------------------------

-- organization_id IS NULL marks a built-in system role available to every
-- organization. NULLS NOT DISTINCT keeps system role names unique too.
CREATE TABLE rbac_roles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(100) NOT NULL,
    description text,
    is_system boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rbac_roles_organization_name_key UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT rbac_roles_system_scope_chk CHECK (NOT is_system OR organization_id IS NULL)
);

CREATE TABLE rbac_permissions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code varchar(150) NOT NULL,
    description text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rbac_permissions_code_key UNIQUE (code),
    CONSTRAINT rbac_permissions_code_format_chk CHECK (code ~ '^[a-z0-9_]+([.][a-z0-9_]+)+$')
);

CREATE TABLE rbac_role_permissions (
    role_id bigint NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
    permission_id bigint NOT NULL REFERENCES rbac_permissions (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role_id, permission_id)
);

CREATE INDEX rbac_role_permissions_permission_id_idx ON rbac_role_permissions (permission_id);

-- A role can only be granted to a current member of the organization: the
-- composite foreign key to organization_members removes grants on leave.
CREATE TABLE rbac_user_roles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL,
    user_id bigint NOT NULL,
    role_id bigint NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
    granted_by bigint REFERENCES users (id) ON DELETE SET NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    CONSTRAINT rbac_user_roles_member_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT rbac_user_roles_grant_key UNIQUE (organization_id, user_id, role_id)
);

CREATE INDEX rbac_user_roles_user_id_idx ON rbac_user_roles (user_id);
CREATE INDEX rbac_user_roles_role_id_idx ON rbac_user_roles (role_id);
CREATE INDEX rbac_user_roles_granted_by_idx ON rbac_user_roles (granted_by);

-- ---------------------------------------------------------------------------
-- Bots, channels and conversations
-- ---------------------------------------------------------------------------

CREATE TABLE bots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id uuid NOT NULL DEFAULT gen_random_uuid(),
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    slug varchar(63) NOT NULL,
    description text,
    status core_bot_status NOT NULL DEFAULT 'draft',
    model varchar(100) NOT NULL,
    system_prompt text,
    temperature numeric(3,2) NOT NULL DEFAULT 0.70,
    config jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bots_public_id_key UNIQUE (public_id),
    CONSTRAINT bots_organization_slug_key UNIQUE (organization_id, slug),
    CONSTRAINT bots_slug_format_chk CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    CONSTRAINT bots_temperature_chk CHECK (temperature >= 0 AND temperature <= 2)
);

CREATE INDEX bots_created_by_idx ON bots (created_by);

CREATE TABLE bot_channels (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bot_id bigint NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    channel_type varchar(32) NOT NULL,
    external_id varchar(255) NOT NULL,
    display_name varchar(200),
    config jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bot_channels_type_chk CHECK (channel_type IN ('web', 'whatsapp', 'telegram', 'slack', 'teams', 'email', 'sms', 'api')),
    CONSTRAINT bot_channels_external_key UNIQUE (channel_type, external_id)
);

CREATE INDEX bot_channels_bot_id_idx ON bot_channels (bot_id);

CREATE TABLE bot_conversations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bot_id bigint NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    channel_id bigint REFERENCES bot_channels (id) ON DELETE SET NULL,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    external_user_ref varchar(255),
    started_at timestamptz NOT NULL DEFAULT now(),
    last_message_at timestamptz,
    closed_at timestamptz,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT bot_conversations_closed_chk CHECK (closed_at IS NULL OR closed_at >= started_at)
);

CREATE INDEX bot_conversations_bot_id_started_at_idx ON bot_conversations (bot_id, started_at DESC);
CREATE INDEX bot_conversations_channel_id_idx ON bot_conversations (channel_id);
CREATE INDEX bot_conversations_user_id_idx ON bot_conversations (user_id);

CREATE TABLE bot_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES bot_conversations (id) ON DELETE CASCADE,
    role varchar(16) NOT NULL,
    content text NOT NULL,
    tokens_in integer,
    tokens_out integer,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bot_messages_role_chk CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    CONSTRAINT bot_messages_tokens_chk CHECK (coalesce(tokens_in, 0) >= 0 AND coalesce(tokens_out, 0) >= 0)
);

CREATE INDEX bot_messages_conversation_id_created_at_idx ON bot_messages (conversation_id, created_at);

CREATE TABLE bot_memories (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bot_id bigint NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    memory_key varchar(255) NOT NULL,
    content text NOT NULL,
    importance smallint NOT NULL DEFAULT 0,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bot_memories_importance_chk CHECK (importance BETWEEN 0 AND 100),
    CONSTRAINT bot_memories_key UNIQUE NULLS NOT DISTINCT (bot_id, user_id, memory_key)
);

CREATE INDEX bot_memories_user_id_idx ON bot_memories (user_id);

CREATE TABLE system_automations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    name varchar(200) NOT NULL,
    trigger_type varchar(16) NOT NULL,
    cron_expression varchar(120),
    event_name varchar(150),
    action jsonb NOT NULL,
    is_enabled boolean NOT NULL DEFAULT true,
    last_run_at timestamptz,
    next_run_at timestamptz,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT system_automations_trigger_type_chk CHECK (trigger_type IN ('schedule', 'event', 'webhook', 'manual')),
    CONSTRAINT system_automations_schedule_chk CHECK (trigger_type <> 'schedule' OR cron_expression IS NOT NULL),
    CONSTRAINT system_automations_event_chk CHECK (trigger_type <> 'event' OR event_name IS NOT NULL),
    CONSTRAINT system_automations_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX system_automations_bot_id_idx ON system_automations (bot_id);
CREATE INDEX system_automations_created_by_idx ON system_automations (created_by);
CREATE INDEX system_automations_due_idx ON system_automations (next_run_at) WHERE is_enabled;

-- ---------------------------------------------------------------------------
-- Knowledge base
-- ---------------------------------------------------------------------------

CREATE TABLE kb_collections (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    description text,
    embedding_model varchar(100) NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT kb_collections_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX kb_collections_created_by_idx ON kb_collections (created_by);

CREATE TABLE bot_knowledge_collections (
    bot_id bigint NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    collection_id bigint NOT NULL REFERENCES kb_collections (id) ON DELETE CASCADE,
    attached_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, collection_id)
);

CREATE INDEX bot_knowledge_collections_collection_id_idx ON bot_knowledge_collections (collection_id);

CREATE TABLE kb_documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id bigint NOT NULL REFERENCES kb_collections (id) ON DELETE CASCADE,
    title varchar(500) NOT NULL,
    source_uri text,
    mime_type varchar(255),
    checksum_sha256 varchar(64) NOT NULL,
    byte_size bigint NOT NULL DEFAULT 0,
    status varchar(16) NOT NULL DEFAULT 'pending',
    error_message text,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    uploaded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT kb_documents_status_chk CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    CONSTRAINT kb_documents_byte_size_chk CHECK (byte_size >= 0),
    CONSTRAINT kb_documents_checksum_key UNIQUE (collection_id, checksum_sha256)
);

CREATE INDEX kb_documents_uploaded_by_idx ON kb_documents (uploaded_by);
CREATE INDEX kb_documents_pending_idx ON kb_documents (created_at) WHERE status IN ('pending', 'processing');

CREATE TABLE kb_chunks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
    chunk_index integer NOT NULL,
    content text NOT NULL,
    token_count integer NOT NULL DEFAULT 0,
    embedding real[],
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, content)) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT kb_chunks_chunk_index_chk CHECK (chunk_index >= 0),
    CONSTRAINT kb_chunks_token_count_chk CHECK (token_count >= 0),
    CONSTRAINT kb_chunks_document_chunk_key UNIQUE (document_id, chunk_index)
);

CREATE INDEX kb_chunks_search_vector_idx ON kb_chunks USING gin (search_vector);

-- ---------------------------------------------------------------------------
-- Platform plumbing
-- ---------------------------------------------------------------------------

CREATE TABLE audit_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
    actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    action varchar(100) NOT NULL,
    target_type varchar(100),
    target_id text,
    ip_address inet,
    user_agent text,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_events_organization_occurred_at_idx ON audit_events (organization_id, occurred_at DESC);
CREATE INDEX audit_events_actor_user_id_idx ON audit_events (actor_user_id);
CREATE INDEX audit_events_actor_bot_id_idx ON audit_events (actor_bot_id);

CREATE TABLE notifications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
    kind varchar(64) NOT NULL,
    title varchar(300) NOT NULL,
    body text,
    link_url text,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notifications_user_id_created_at_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_user_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_organization_id_idx ON notifications (organization_id);

CREATE TABLE webhooks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url text NOT NULL,
    secret_hash text NOT NULL,
    events text[] NOT NULL DEFAULT '{}',
    is_active boolean NOT NULL DEFAULT true,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhooks_url_chk CHECK (url ~ '^https?://')
);

CREATE INDEX webhooks_organization_id_idx ON webhooks (organization_id);
CREATE INDEX webhooks_created_by_idx ON webhooks (created_by);

CREATE TABLE webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_name varchar(150) NOT NULL,
    payload jsonb NOT NULL,
    attempt integer NOT NULL DEFAULT 1,
    response_status integer,
    response_body text,
    delivered_at timestamptz,
    next_retry_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_attempt_chk CHECK (attempt >= 1),
    CONSTRAINT webhook_deliveries_status_chk CHECK (response_status IS NULL OR response_status BETWEEN 100 AND 599)
);

CREATE INDEX webhook_deliveries_webhook_id_created_at_idx ON webhook_deliveries (webhook_id, created_at DESC);
CREATE INDEX webhook_deliveries_retry_idx ON webhook_deliveries (next_retry_at) WHERE delivered_at IS NULL;

CREATE TABLE feature_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
    flag_key varchar(100) NOT NULL,
    is_enabled boolean NOT NULL DEFAULT false,
    rollout_percentage smallint NOT NULL DEFAULT 100,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT feature_flags_rollout_chk CHECK (rollout_percentage BETWEEN 0 AND 100),
    CONSTRAINT feature_flags_scope_key UNIQUE NULLS NOT DISTINCT (organization_id, flag_key)
);

CREATE TABLE system_settings (
    setting_key varchar(100) PRIMARY KEY,
    value jsonb NOT NULL,
    description text,
    updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT system_settings_key_format_chk CHECK (setting_key ~ '^[a-z0-9_.]+$')
);

CREATE INDEX system_settings_updated_by_idx ON system_settings (updated_by);

-- ---------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER rbac_roles_set_updated_at BEFORE UPDATE ON rbac_roles FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER bots_set_updated_at BEFORE UPDATE ON bots FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER system_automations_set_updated_at BEFORE UPDATE ON system_automations FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER kb_documents_set_updated_at BEFORE UPDATE ON kb_documents FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();

-- ---------------------------------------------------------------------------
-- Seed data: built-in permissions and system roles
-- ---------------------------------------------------------------------------

INSERT INTO rbac_permissions (code, description) VALUES
    ('core.org.manage', 'Manage organization settings, members and billing contacts'),
    ('core.members.invite', 'Invite and remove organization members'),
    ('core.bots.read', 'View bots and their configuration'),
    ('core.bots.write', 'Create, edit and delete bots'),
    ('core.kb.read', 'Read knowledge base collections'),
    ('core.kb.write', 'Upload and manage knowledge base documents'),
    ('core.audit.read', 'Read the audit trail');

INSERT INTO rbac_roles (organization_id, name, description, is_system) VALUES
    (NULL, 'owner', 'Full control of the organization', true),
    (NULL, 'admin', 'Administers members, bots and content', true),
    (NULL, 'member', 'Regular member', true);

INSERT INTO rbac_role_permissions (role_id, permission_id)
SELECT r.id, p.id
FROM rbac_roles AS r
CROSS JOIN rbac_permissions AS p
WHERE r.organization_id IS NULL
  AND (r.name IN ('owner', 'admin')
       OR (r.name = 'member' AND p.code IN ('core.bots.read', 'core.kb.read')));
