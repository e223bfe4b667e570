-- people/0001_init

CREATE TYPE people_lead_status AS ENUM ('new', 'contacted', 'qualified', 'unqualified', 'converted');

CREATE TYPE people_activity_type AS ENUM ('call', 'email', 'meeting', 'note', 'task', 'sms', 'chat');

CREATE TABLE crm_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    parent_account_id bigint REFERENCES crm_accounts (id) ON DELETE SET NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(300) NOT NULL,
    domain varchar(255),
    industry varchar(100),
    employee_count integer,
    annual_revenue numeric(14,2),
    website text,
    phone varchar(40),
    address jsonb NOT NULL DEFAULT '{}'::jsonb,
    custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT crm_accounts_employee_count_chk CHECK (employee_count IS NULL OR employee_count >= 0),
    CONSTRAINT crm_accounts_annual_revenue_chk CHECK (annual_revenue IS NULL OR annual_revenue >= 0),
    CONSTRAINT crm_accounts_not_own_parent_chk CHECK (parent_account_id IS NULL OR parent_account_id <> id)
);

CREATE INDEX crm_accounts_organization_name_idx ON crm_accounts (organization_id, name);
CREATE INDEX crm_accounts_parent_account_id_idx ON crm_accounts (parent_account_id);
CREATE INDEX crm_accounts_owner_id_idx ON crm_accounts (owner_id);
CREATE UNIQUE INDEX crm_accounts_organization_domain_key ON crm_accounts (organization_id, lower(domain))
    WHERE domain IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE crm_contacts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id bigint REFERENCES crm_accounts (id) ON DELETE SET NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    first_name varchar(150),
    last_name varchar(150),
    email varchar(320),
    phone varchar(40),
    job_title varchar(200),
    source varchar(64),
    do_not_contact boolean NOT NULL DEFAULT false,
    custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT crm_contacts_identity_chk CHECK (num_nonnulls(first_name, last_name, email, phone) > 0)
);

CREATE INDEX crm_contacts_organization_name_idx ON crm_contacts (organization_id, last_name, first_name);
CREATE INDEX crm_contacts_account_id_idx ON crm_contacts (account_id);
CREATE INDEX crm_contacts_owner_id_idx ON crm_contacts (owner_id);
CREATE UNIQUE INDEX crm_contacts_organization_email_key ON crm_contacts (organization_id, lower(email))
    WHERE email IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE crm_contact_addresses (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id bigint NOT NULL REFERENCES crm_contacts (id) ON DELETE CASCADE,
    address_type varchar(16) NOT NULL DEFAULT 'work',
    line1 varchar(300) NOT NULL,
    line2 varchar(300),
    city varchar(150),
    region varchar(150),
    postal_code varchar(20),
    country_code varchar(2) NOT NULL,
    is_primary boolean NOT NULL DEFAULT false,
    CONSTRAINT crm_contact_addresses_type_chk CHECK (address_type IN ('home', 'work', 'billing', 'shipping', 'other')),
    CONSTRAINT crm_contact_addresses_country_chk CHECK (country_code ~ '^[A-Z]{2}$')
);

CREATE INDEX crm_contact_addresses_contact_id_idx ON crm_contact_addresses (contact_id);
CREATE UNIQUE INDEX crm_contact_addresses_one_primary_key ON crm_contact_addresses (contact_id) WHERE is_primary;

CREATE TABLE crm_lead_sources (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    CONSTRAINT crm_lead_sources_organization_name_key UNIQUE (organization_id, name)
);

CREATE TABLE crm_leads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    contact_id bigint REFERENCES crm_contacts (id) ON DELETE SET NULL,
    source_id bigint REFERENCES crm_lead_sources (id) ON DELETE SET NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    captured_by_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    status people_lead_status NOT NULL DEFAULT 'new',
    score integer NOT NULL DEFAULT 0,
    company_name varchar(300),
    email varchar(320),
    notes text,
    converted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_leads_score_chk CHECK (score BETWEEN 0 AND 100),
    CONSTRAINT crm_leads_converted_chk CHECK ((status = 'converted') = (converted_at IS NOT NULL))
);

CREATE INDEX crm_leads_organization_status_idx ON crm_leads (organization_id, status);
CREATE INDEX crm_leads_contact_id_idx ON crm_leads (contact_id);
CREATE INDEX crm_leads_source_id_idx ON crm_leads (source_id);
CREATE INDEX crm_leads_owner_id_idx ON crm_leads (owner_id);
CREATE INDEX crm_leads_captured_by_bot_id_idx ON crm_leads (captured_by_bot_id);

CREATE TABLE crm_pipelines (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_pipelines_organization_name_key UNIQUE (organization_id, name)
);

CREATE UNIQUE INDEX crm_pipelines_one_default_key ON crm_pipelines (organization_id) WHERE is_default;

CREATE TABLE crm_pipeline_stages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline_id bigint NOT NULL REFERENCES crm_pipelines (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    sort_order integer NOT NULL,
    win_probability smallint NOT NULL DEFAULT 0,
    is_won boolean NOT NULL DEFAULT false,
    is_lost boolean NOT NULL DEFAULT false,
    CONSTRAINT crm_pipeline_stages_probability_chk CHECK (win_probability BETWEEN 0 AND 100),
    CONSTRAINT crm_pipeline_stages_outcome_chk CHECK (NOT (is_won AND is_lost)),
    CONSTRAINT crm_pipeline_stages_pipeline_name_key UNIQUE (pipeline_id, name),
    CONSTRAINT crm_pipeline_stages_pipeline_order_key UNIQUE (pipeline_id, sort_order) DEFERRABLE INITIALLY DEFERRED,
    -- Target of the composite foreign key from crm_opportunities.
    CONSTRAINT crm_pipeline_stages_id_pipeline_key UNIQUE (id, pipeline_id)
);

-- The composite foreign key (stage_id, pipeline_id) guarantees that an
-- opportunity's stage belongs to the opportunity's pipeline.
CREATE TABLE crm_opportunities (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id bigint REFERENCES crm_accounts (id) ON DELETE SET NULL,
    primary_contact_id bigint REFERENCES crm_contacts (id) ON DELETE SET NULL,
    pipeline_id bigint NOT NULL REFERENCES crm_pipelines (id) ON DELETE RESTRICT,
    stage_id bigint NOT NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(300) NOT NULL,
    amount numeric(14,2) NOT NULL DEFAULT 0,
    currency varchar(3) NOT NULL DEFAULT 'USD',
    expected_close_date date,
    closed_at timestamptz,
    lost_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_opportunities_stage_fkey FOREIGN KEY (stage_id, pipeline_id)
        REFERENCES crm_pipeline_stages (id, pipeline_id) ON DELETE RESTRICT,
    CONSTRAINT crm_opportunities_amount_chk CHECK (amount >= 0),
    CONSTRAINT crm_opportunities_currency_chk CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE INDEX crm_opportunities_organization_close_idx ON crm_opportunities (organization_id, expected_close_date);
CREATE INDEX crm_opportunities_account_id_idx ON crm_opportunities (account_id);
CREATE INDEX crm_opportunities_primary_contact_id_idx ON crm_opportunities (primary_contact_id);
CREATE INDEX crm_opportunities_pipeline_id_idx ON crm_opportunities (pipeline_id);
CREATE INDEX crm_opportunities_stage_pipeline_idx ON crm_opportunities (stage_id, pipeline_id);
CREATE INDEX crm_opportunities_owner_id_idx ON crm_opportunities (owner_id);

CREATE TABLE crm_activities (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    activity_type people_activity_type NOT NULL,
    subject varchar(500) NOT NULL,
    body text,
    contact_id bigint REFERENCES crm_contacts (id) ON DELETE CASCADE,
    account_id bigint REFERENCES crm_accounts (id) ON DELETE CASCADE,
    opportunity_id bigint REFERENCES crm_opportunities (id) ON DELETE CASCADE,
    performed_by bigint REFERENCES users (id) ON DELETE SET NULL,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    duration_minutes integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_activities_subject_chk CHECK (num_nonnulls(contact_id, account_id, opportunity_id) > 0),
    CONSTRAINT crm_activities_duration_chk CHECK (duration_minutes IS NULL OR duration_minutes >= 0)
);

CREATE INDEX crm_activities_organization_occurred_idx ON crm_activities (organization_id, occurred_at DESC);
CREATE INDEX crm_activities_contact_occurred_idx ON crm_activities (contact_id, occurred_at DESC);
CREATE INDEX crm_activities_account_occurred_idx ON crm_activities (account_id, occurred_at DESC);
CREATE INDEX crm_activities_opportunity_id_idx ON crm_activities (opportunity_id);
CREATE INDEX crm_activities_performed_by_idx ON crm_activities (performed_by);
CREATE INDEX crm_activities_bot_id_idx ON crm_activities (bot_id);

CREATE TABLE people_notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    contact_id bigint REFERENCES crm_contacts (id) ON DELETE CASCADE,
    account_id bigint REFERENCES crm_accounts (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL,
    is_pinned boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT people_notes_subject_chk CHECK (num_nonnulls(contact_id, account_id) > 0)
);

CREATE INDEX people_notes_organization_id_idx ON people_notes (organization_id);
CREATE INDEX people_notes_contact_id_idx ON people_notes (contact_id);
CREATE INDEX people_notes_account_id_idx ON people_notes (account_id);
CREATE INDEX people_notes_author_id_idx ON people_notes (author_id);

CREATE TABLE people_tags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(64) NOT NULL,
    color varchar(7),
    CONSTRAINT people_tags_organization_name_key UNIQUE (organization_id, name),
    CONSTRAINT people_tags_color_chk CHECK (color IS NULL OR color ~ '^#[0-9a-fA-F]{6}$')
);

CREATE TABLE people_contact_tags (
    contact_id bigint NOT NULL REFERENCES crm_contacts (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES people_tags (id) ON DELETE CASCADE,
    tagged_by bigint REFERENCES users (id) ON DELETE SET NULL,
    tagged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contact_id, tag_id)
);

CREATE INDEX people_contact_tags_tag_id_idx ON people_contact_tags (tag_id);
CREATE INDEX people_contact_tags_tagged_by_idx ON people_contact_tags (tagged_by);

CREATE TABLE crm_custom_fields (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    entity_type varchar(16) NOT NULL,
    field_key varchar(64) NOT NULL,
    label varchar(200) NOT NULL,
    field_type varchar(16) NOT NULL,
    options jsonb NOT NULL DEFAULT '[]'::jsonb,
    is_required boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_custom_fields_entity_chk CHECK (entity_type IN ('contact', 'account', 'lead', 'opportunity')),
    CONSTRAINT crm_custom_fields_key_format_chk CHECK (field_key ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT crm_custom_fields_type_chk CHECK (field_type IN ('text', 'number', 'date', 'boolean', 'select', 'multi_select')),
    CONSTRAINT crm_custom_fields_key UNIQUE (organization_id, entity_type, field_key)
);

CREATE TABLE people_segments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    description text,
    filter_definition jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_dynamic boolean NOT NULL DEFAULT true,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT people_segments_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX people_segments_created_by_idx ON people_segments (created_by);

CREATE TABLE people_segment_members (
    segment_id bigint NOT NULL REFERENCES people_segments (id) ON DELETE CASCADE,
    contact_id bigint NOT NULL REFERENCES crm_contacts (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, contact_id)
);

CREATE INDEX people_segment_members_contact_id_idx ON people_segment_members (contact_id);

CREATE TABLE people_imports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uploaded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    file_name varchar(255) NOT NULL,
    entity_type varchar(16) NOT NULL DEFAULT 'contact',
    status varchar(16) NOT NULL DEFAULT 'pending',
    total_rows integer NOT NULL DEFAULT 0,
    imported_rows integer NOT NULL DEFAULT 0,
    failed_rows integer NOT NULL DEFAULT 0,
    error_report jsonb NOT NULL DEFAULT '[]'::jsonb,
    started_at timestamptz,
    finished_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT people_imports_entity_chk CHECK (entity_type IN ('contact', 'account', 'lead')),
    CONSTRAINT people_imports_status_chk CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    CONSTRAINT people_imports_counts_chk CHECK (
        total_rows >= 0 AND imported_rows >= 0 AND failed_rows >= 0 AND imported_rows + failed_rows <= total_rows)
);

CREATE INDEX people_imports_organization_created_idx ON people_imports (organization_id, created_at DESC);
CREATE INDEX people_imports_uploaded_by_idx ON people_imports (uploaded_by);

CREATE TRIGGER crm_accounts_set_updated_at BEFORE UPDATE ON crm_accounts FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER crm_contacts_set_updated_at BEFORE UPDATE ON crm_contacts FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER crm_leads_set_updated_at BEFORE UPDATE ON crm_leads FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER crm_opportunities_set_updated_at BEFORE UPDATE ON crm_opportunities FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER people_notes_set_updated_at BEFORE UPDATE ON people_notes FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
