-- attendant/0001_init

CREATE TYPE attendant_conversation_status AS ENUM ('queued', 'assigned', 'active', 'waiting_customer', 'resolved', 'abandoned');

CREATE TYPE attendant_agent_status AS ENUM ('offline', 'available', 'busy', 'away');

CREATE TABLE attendant_queues (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    name varchar(120) NOT NULL,
    description text,
    routing_strategy varchar(16) NOT NULL DEFAULT 'round_robin',
    max_wait_seconds integer,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendant_queues_routing_chk CHECK (routing_strategy IN ('round_robin', 'least_busy', 'manual')),
    CONSTRAINT attendant_queues_max_wait_chk CHECK (max_wait_seconds IS NULL OR max_wait_seconds > 0),
    CONSTRAINT attendant_queues_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX attendant_queues_bot_id_idx ON attendant_queues (bot_id);

-- An agent must be a member of the organization: composite foreign key to
-- organization_members (core), removed automatically when they leave.
CREATE TABLE attendant_agents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL,
    user_id bigint NOT NULL,
    status attendant_agent_status NOT NULL DEFAULT 'offline',
    max_concurrent_conversations smallint NOT NULL DEFAULT 3,
    skills text[] NOT NULL DEFAULT '{}',
    last_status_change_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendant_agents_member_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT attendant_agents_organization_user_key UNIQUE (organization_id, user_id),
    CONSTRAINT attendant_agents_capacity_chk CHECK (max_concurrent_conversations BETWEEN 1 AND 50)
);

CREATE INDEX attendant_agents_user_id_idx ON attendant_agents (user_id);
CREATE INDEX attendant_agents_available_idx ON attendant_agents (organization_id) WHERE status = 'available';

CREATE TABLE attendant_queue_agents (
    queue_id bigint NOT NULL REFERENCES attendant_queues (id) ON DELETE CASCADE,
    agent_id bigint NOT NULL REFERENCES attendant_agents (id) ON DELETE CASCADE,
    priority smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (queue_id, agent_id)
);

CREATE INDEX attendant_queue_agents_agent_id_idx ON attendant_queue_agents (agent_id);

CREATE TABLE attendant_conversations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    queue_id bigint REFERENCES attendant_queues (id) ON DELETE SET NULL,
    assigned_agent_id bigint REFERENCES attendant_agents (id) ON DELETE SET NULL,
    bot_conversation_id bigint REFERENCES bot_conversations (id) ON DELETE SET NULL,
    channel_id bigint REFERENCES bot_channels (id) ON DELETE SET NULL,
    customer_name varchar(200),
    customer_contact varchar(320),
    subject varchar(500),
    status attendant_conversation_status NOT NULL DEFAULT 'queued',
    priority smallint NOT NULL DEFAULT 0,
    queued_at timestamptz NOT NULL DEFAULT now(),
    assigned_at timestamptz,
    resolved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendant_conversations_assigned_chk CHECK (assigned_at IS NULL OR assigned_at >= queued_at)
);

CREATE INDEX attendant_conversations_organization_status_idx ON attendant_conversations (organization_id, status);
CREATE INDEX attendant_conversations_waiting_idx ON attendant_conversations (queue_id, priority DESC, queued_at) WHERE status = 'queued';
CREATE INDEX attendant_conversations_queue_id_idx ON attendant_conversations (queue_id);
CREATE INDEX attendant_conversations_assigned_agent_id_idx ON attendant_conversations (assigned_agent_id);
CREATE INDEX attendant_conversations_bot_conversation_id_idx ON attendant_conversations (bot_conversation_id);
CREATE INDEX attendant_conversations_channel_id_idx ON attendant_conversations (channel_id);

CREATE TABLE attendant_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES attendant_conversations (id) ON DELETE CASCADE,
    sender_type varchar(16) NOT NULL,
    agent_id bigint REFERENCES attendant_agents (id) ON DELETE SET NULL,
    body text NOT NULL,
    attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
    is_internal_note boolean NOT NULL DEFAULT false,
    sent_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendant_messages_sender_chk CHECK (sender_type IN ('customer', 'agent', 'bot', 'system'))
);

CREATE INDEX attendant_messages_conversation_sent_idx ON attendant_messages (conversation_id, sent_at);
CREATE INDEX attendant_messages_agent_id_idx ON attendant_messages (agent_id);

CREATE TABLE attendant_transfers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES attendant_conversations (id) ON DELETE CASCADE,
    from_agent_id bigint REFERENCES attendant_agents (id) ON DELETE SET NULL,
    to_agent_id bigint REFERENCES attendant_agents (id) ON DELETE SET NULL,
    to_queue_id bigint REFERENCES attendant_queues (id) ON DELETE SET NULL,
    reason text,
    transferred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attendant_transfers_conversation_id_idx ON attendant_transfers (conversation_id);
CREATE INDEX attendant_transfers_from_agent_id_idx ON attendant_transfers (from_agent_id);
CREATE INDEX attendant_transfers_to_agent_id_idx ON attendant_transfers (to_agent_id);
CREATE INDEX attendant_transfers_to_queue_id_idx ON attendant_transfers (to_queue_id);

-- queue_id IS NULL: organization-wide response. NULLS NOT DISTINCT keeps
-- shortcuts unique within that scope too.
CREATE TABLE attendant_canned_responses (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    queue_id bigint REFERENCES attendant_queues (id) ON DELETE CASCADE,
    shortcut varchar(50) NOT NULL,
    title varchar(200) NOT NULL,
    body text NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendant_canned_responses_shortcut_chk CHECK (shortcut ~ '^[a-z0-9_-]+$'),
    CONSTRAINT attendant_canned_responses_shortcut_key UNIQUE NULLS NOT DISTINCT (organization_id, queue_id, shortcut)
);

CREATE INDEX attendant_canned_responses_queue_id_idx ON attendant_canned_responses (queue_id);
CREATE INDEX attendant_canned_responses_created_by_idx ON attendant_canned_responses (created_by);

CREATE TABLE attendant_conversation_tags (
    conversation_id bigint NOT NULL REFERENCES attendant_conversations (id) ON DELETE CASCADE,
    tag varchar(64) NOT NULL,
    tagged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, tag)
);

CREATE INDEX attendant_conversation_tags_tag_idx ON attendant_conversation_tags (tag);

CREATE TABLE attendant_csat_ratings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES attendant_conversations (id) ON DELETE CASCADE,
    rating smallint NOT NULL,
    comment text,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendant_csat_ratings_rating_chk CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT attendant_csat_ratings_conversation_key UNIQUE (conversation_id)
);

CREATE TABLE attendant_business_hours (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_id bigint NOT NULL REFERENCES attendant_queues (id) ON DELETE CASCADE,
    weekday smallint NOT NULL,
    opens_at time NOT NULL,
    closes_at time NOT NULL,
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    CONSTRAINT attendant_business_hours_weekday_chk CHECK (weekday BETWEEN 0 AND 6),
    CONSTRAINT attendant_business_hours_range_chk CHECK (closes_at > opens_at),
    CONSTRAINT attendant_business_hours_slot_key UNIQUE (queue_id, weekday, opens_at)
);

CREATE TRIGGER attendant_queues_set_updated_at BEFORE UPDATE ON attendant_queues FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER attendant_conversations_set_updated_at BEFORE UPDATE ON attendant_conversations FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER attendant_canned_responses_set_updated_at BEFORE UPDATE ON attendant_canned_responses FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
