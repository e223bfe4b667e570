-- tickets/0001_init

CREATE TYPE ticket_status AS ENUM ('new', 'open', 'pending', 'on_hold', 'solved', 'closed');

CREATE TYPE ticket_priority AS ENUM ('low', 'normal', 'high', 'urgent');

CREATE TABLE ticket_categories (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    parent_id bigint REFERENCES ticket_categories (id) ON DELETE SET NULL,
    name varchar(120) NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    CONSTRAINT ticket_categories_name_key UNIQUE NULLS NOT DISTINCT (organization_id, parent_id, name)
);

CREATE INDEX ticket_categories_parent_id_idx ON ticket_categories (parent_id);

CREATE TABLE ticket_slas (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    priority ticket_priority NOT NULL,
    first_response_minutes integer NOT NULL,
    resolution_minutes integer NOT NULL,
    business_hours_only boolean NOT NULL DEFAULT true,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ticket_slas_targets_chk CHECK (first_response_minutes > 0 AND resolution_minutes >= first_response_minutes),
    CONSTRAINT ticket_slas_name_priority_key UNIQUE (organization_id, name, priority)
);

CREATE TABLE support_tickets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    ticket_number bigint NOT NULL,
    subject varchar(500) NOT NULL,
    description text,
    status ticket_status NOT NULL DEFAULT 'new',
    priority ticket_priority NOT NULL DEFAULT 'normal',
    channel varchar(16) NOT NULL DEFAULT 'web',
    category_id bigint REFERENCES ticket_categories (id) ON DELETE SET NULL,
    sla_id bigint REFERENCES ticket_slas (id) ON DELETE SET NULL,
    requester_contact_id bigint REFERENCES crm_contacts (id) ON DELETE SET NULL,
    requester_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    requester_email varchar(320),
    assignee_id bigint REFERENCES users (id) ON DELETE SET NULL,
    bot_conversation_id bigint REFERENCES bot_conversations (id) ON DELETE SET NULL,
    first_response_due_at timestamptz,
    resolution_due_at timestamptz,
    first_responded_at timestamptz,
    solved_at timestamptz,
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT support_tickets_number_key UNIQUE (organization_id, ticket_number),
    CONSTRAINT support_tickets_number_chk CHECK (ticket_number > 0),
    CONSTRAINT support_tickets_channel_chk CHECK (channel IN ('email', 'chat', 'web', 'phone', 'api', 'social')),
    CONSTRAINT support_tickets_requester_chk CHECK (num_nonnulls(requester_contact_id, requester_user_id, requester_email) > 0),
    CONSTRAINT support_tickets_closed_chk CHECK (status <> 'closed' OR closed_at IS NOT NULL)
);

CREATE INDEX support_tickets_organization_status_idx ON support_tickets (organization_id, status, priority);
CREATE INDEX support_tickets_category_id_idx ON support_tickets (category_id);
CREATE INDEX support_tickets_sla_id_idx ON support_tickets (sla_id);
CREATE INDEX support_tickets_requester_contact_id_idx ON support_tickets (requester_contact_id);
CREATE INDEX support_tickets_requester_user_id_idx ON support_tickets (requester_user_id);
CREATE INDEX support_tickets_assignee_open_idx ON support_tickets (assignee_id, status);
CREATE INDEX support_tickets_bot_conversation_id_idx ON support_tickets (bot_conversation_id);
CREATE INDEX support_tickets_resolution_due_idx ON support_tickets (resolution_due_at) WHERE status IN ('new', 'open', 'pending');

CREATE TABLE ticket_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    author_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    author_contact_id bigint REFERENCES crm_contacts (id) ON DELETE SET NULL,
    author_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    body text NOT NULL,
    is_public boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_comments_ticket_created_idx ON ticket_comments (ticket_id, created_at);
CREATE INDEX ticket_comments_author_user_id_idx ON ticket_comments (author_user_id);
CREATE INDEX ticket_comments_author_contact_id_idx ON ticket_comments (author_contact_id);
CREATE INDEX ticket_comments_author_bot_id_idx ON ticket_comments (author_bot_id);

CREATE TABLE ticket_attachments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id bigint NOT NULL REFERENCES ticket_comments (id) ON DELETE CASCADE,
    file_name varchar(255) NOT NULL,
    mime_type varchar(255) NOT NULL DEFAULT 'application/octet-stream',
    byte_size bigint NOT NULL,
    storage_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ticket_attachments_byte_size_chk CHECK (byte_size >= 0),
    CONSTRAINT ticket_attachments_storage_key_key UNIQUE (storage_key)
);

CREATE INDEX ticket_attachments_comment_id_idx ON ticket_attachments (comment_id);

CREATE TABLE ticket_tags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(64) NOT NULL,
    CONSTRAINT ticket_tags_organization_name_key UNIQUE (organization_id, name)
);

CREATE TABLE ticket_tag_assignments (
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES ticket_tags (id) ON DELETE CASCADE,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, tag_id)
);

CREATE INDEX ticket_tag_assignments_tag_id_idx ON ticket_tag_assignments (tag_id);

CREATE TABLE ticket_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    actor_id bigint REFERENCES users (id) ON DELETE SET NULL,
    event_type varchar(64) NOT NULL,
    old_value jsonb,
    new_value jsonb,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ticket_events_ticket_occurred_idx ON ticket_events (ticket_id, occurred_at);
CREATE INDEX ticket_events_actor_id_idx ON ticket_events (actor_id);

CREATE TABLE ticket_satisfaction_surveys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    rating smallint,
    comment text,
    sent_at timestamptz NOT NULL DEFAULT now(),
    responded_at timestamptz,
    CONSTRAINT ticket_satisfaction_surveys_ticket_key UNIQUE (ticket_id),
    CONSTRAINT ticket_satisfaction_surveys_rating_chk CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    CONSTRAINT ticket_satisfaction_surveys_response_chk CHECK ((rating IS NULL) = (responded_at IS NULL))
);

CREATE TABLE ticket_macros (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    actions jsonb NOT NULL,
    is_shared boolean NOT NULL DEFAULT true,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ticket_macros_actions_chk CHECK (jsonb_typeof(actions) = 'array'),
    CONSTRAINT ticket_macros_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX ticket_macros_created_by_idx ON ticket_macros (created_by);

CREATE TRIGGER support_tickets_set_updated_at BEFORE UPDATE ON support_tickets FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER ticket_macros_set_updated_at BEFORE UPDATE ON ticket_macros FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();

-- Feature permissions (rbac_permissions is a core table. down.sql deletes these rows again.)
INSERT INTO rbac_permissions (code, description) VALUES
    ('tickets.tickets.read', 'View support tickets'),
    ('tickets.tickets.write', 'Reply to, assign and update support tickets'),
    ('tickets.settings.manage', 'Manage SLAs, categories and macros');
