-- compliance/0001_init

CREATE TYPE compliance_severity AS ENUM ('info', 'low', 'medium', 'high', 'critical');

CREATE TYPE compliance_dsr_status AS ENUM ('received', 'verifying', 'in_progress', 'completed', 'rejected');

CREATE TABLE compliance_frameworks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code varchar(50) NOT NULL,
    name varchar(200) NOT NULL,
    version varchar(50),
    description text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT compliance_frameworks_organization_code_key UNIQUE (organization_id, code)
);

CREATE TABLE compliance_policies (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    framework_id bigint REFERENCES compliance_frameworks (id) ON DELETE SET NULL,
    title varchar(300) NOT NULL,
    body text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    status varchar(16) NOT NULL DEFAULT 'draft',
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    effective_from date,
    review_due_on date,
    published_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT compliance_policies_version_chk CHECK (version > 0),
    CONSTRAINT compliance_policies_status_chk CHECK (status IN ('draft', 'in_review', 'published', 'retired')),
    CONSTRAINT compliance_policies_published_chk CHECK (status <> 'published' OR published_at IS NOT NULL)
);

CREATE INDEX compliance_policies_organization_status_idx ON compliance_policies (organization_id, status);
CREATE INDEX compliance_policies_framework_id_idx ON compliance_policies (framework_id);
CREATE INDEX compliance_policies_owner_id_idx ON compliance_policies (owner_id);

CREATE TABLE compliance_controls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    framework_id bigint REFERENCES compliance_frameworks (id) ON DELETE SET NULL,
    policy_id bigint REFERENCES compliance_policies (id) ON DELETE SET NULL,
    control_ref varchar(50) NOT NULL,
    title varchar(300) NOT NULL,
    description text,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    implementation_status varchar(16) NOT NULL DEFAULT 'not_started',
    test_frequency_days integer,
    last_tested_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT compliance_controls_status_chk CHECK (implementation_status IN ('not_started', 'in_progress', 'implemented', 'not_applicable')),
    CONSTRAINT compliance_controls_frequency_chk CHECK (test_frequency_days IS NULL OR test_frequency_days > 0),
    CONSTRAINT compliance_controls_organization_ref_key UNIQUE (organization_id, control_ref)
);

CREATE INDEX compliance_controls_framework_id_idx ON compliance_controls (framework_id);
CREATE INDEX compliance_controls_policy_id_idx ON compliance_controls (policy_id);
CREATE INDEX compliance_controls_owner_id_idx ON compliance_controls (owner_id);

CREATE TABLE compliance_evidence (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    control_id bigint NOT NULL REFERENCES compliance_controls (id) ON DELETE CASCADE,
    title varchar(300) NOT NULL,
    description text,
    evidence_uri text,
    collected_by bigint REFERENCES users (id) ON DELETE SET NULL,
    collected_at timestamptz NOT NULL DEFAULT now(),
    valid_until date,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX compliance_evidence_control_id_idx ON compliance_evidence (control_id);
CREATE INDEX compliance_evidence_collected_by_idx ON compliance_evidence (collected_by);

CREATE TABLE compliance_audits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    framework_id bigint REFERENCES compliance_frameworks (id) ON DELETE SET NULL,
    name varchar(200) NOT NULL,
    auditor_name varchar(200),
    period_start date NOT NULL,
    period_end date NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'planned',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT compliance_audits_period_chk CHECK (period_end >= period_start),
    CONSTRAINT compliance_audits_status_chk CHECK (status IN ('planned', 'fieldwork', 'reporting', 'closed'))
);

CREATE INDEX compliance_audits_organization_id_idx ON compliance_audits (organization_id);
CREATE INDEX compliance_audits_framework_id_idx ON compliance_audits (framework_id);

CREATE TABLE compliance_findings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    audit_id bigint REFERENCES compliance_audits (id) ON DELETE SET NULL,
    control_id bigint REFERENCES compliance_controls (id) ON DELETE SET NULL,
    title varchar(300) NOT NULL,
    description text,
    severity compliance_severity NOT NULL DEFAULT 'medium',
    status varchar(16) NOT NULL DEFAULT 'open',
    assigned_to bigint REFERENCES users (id) ON DELETE SET NULL,
    due_on date,
    resolved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT compliance_findings_status_chk CHECK (status IN ('open', 'remediating', 'risk_accepted', 'resolved')),
    CONSTRAINT compliance_findings_resolved_chk CHECK (status <> 'resolved' OR resolved_at IS NOT NULL)
);

CREATE INDEX compliance_findings_organization_status_idx ON compliance_findings (organization_id, status, severity);
CREATE INDEX compliance_findings_audit_id_idx ON compliance_findings (audit_id);
CREATE INDEX compliance_findings_control_id_idx ON compliance_findings (control_id);
CREATE INDEX compliance_findings_assigned_to_idx ON compliance_findings (assigned_to);

CREATE TABLE legal_documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    doc_type varchar(32) NOT NULL,
    title varchar(300) NOT NULL,
    slug varchar(100) NOT NULL,
    current_version integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT legal_documents_type_chk CHECK (doc_type IN ('terms_of_service', 'privacy_policy', 'dpa', 'cookie_policy', 'acceptable_use', 'other')),
    CONSTRAINT legal_documents_organization_slug_key UNIQUE (organization_id, slug)
);

-- Composite natural primary key: a version number is only meaningful
-- together with its document.
CREATE TABLE legal_document_versions (
    document_id bigint NOT NULL REFERENCES legal_documents (id) ON DELETE CASCADE,
    version integer NOT NULL,
    body text NOT NULL,
    change_summary text,
    published_by bigint REFERENCES users (id) ON DELETE SET NULL,
    published_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version),
    CONSTRAINT legal_document_versions_version_chk CHECK (version > 0)
);

CREATE INDEX legal_document_versions_published_by_idx ON legal_document_versions (published_by);

-- Composite foreign key into the composite primary key above. RESTRICT:
-- a version somebody accepted must never disappear (proof of consent).
CREATE TABLE legal_acceptances (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint NOT NULL,
    document_version integer NOT NULL,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    subject_email varchar(320),
    accepted_at timestamptz NOT NULL DEFAULT now(),
    ip_address inet,
    user_agent text,
    CONSTRAINT legal_acceptances_version_fkey FOREIGN KEY (document_id, document_version)
        REFERENCES legal_document_versions (document_id, version) ON DELETE RESTRICT,
    CONSTRAINT legal_acceptances_subject_chk CHECK (user_id IS NOT NULL OR subject_email IS NOT NULL)
);

CREATE INDEX legal_acceptances_document_version_idx ON legal_acceptances (document_id, document_version);
CREATE INDEX legal_acceptances_user_id_idx ON legal_acceptances (user_id, accepted_at DESC);

CREATE TABLE cookie_consents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    anonymous_id uuid,
    consent_categories jsonb NOT NULL DEFAULT '{}'::jsonb,
    policy_version varchar(32) NOT NULL,
    ip_address inet,
    user_agent text,
    given_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    CONSTRAINT cookie_consents_subject_chk CHECK (user_id IS NOT NULL OR anonymous_id IS NOT NULL),
    CONSTRAINT cookie_consents_categories_chk CHECK (jsonb_typeof(consent_categories) = 'object')
);

CREATE INDEX cookie_consents_organization_id_idx ON cookie_consents (organization_id);
CREATE INDEX cookie_consents_user_id_idx ON cookie_consents (user_id);
CREATE INDEX cookie_consents_anonymous_id_idx ON cookie_consents (anonymous_id) WHERE anonymous_id IS NOT NULL;

CREATE TABLE data_retention_policies (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_type varchar(100) NOT NULL,
    retention_days integer NOT NULL,
    action varchar(16) NOT NULL DEFAULT 'delete',
    legal_basis text,
    is_enabled boolean NOT NULL DEFAULT true,
    last_enforced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT data_retention_policies_days_chk CHECK (retention_days > 0),
    CONSTRAINT data_retention_policies_action_chk CHECK (action IN ('delete', 'anonymize', 'archive')),
    CONSTRAINT data_retention_policies_resource_key UNIQUE (organization_id, resource_type)
);

CREATE TABLE data_subject_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_type varchar(16) NOT NULL,
    subject_email varchar(320) NOT NULL,
    subject_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    status compliance_dsr_status NOT NULL DEFAULT 'received',
    received_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL,
    completed_at timestamptz,
    handled_by bigint REFERENCES users (id) ON DELETE SET NULL,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT data_subject_requests_type_chk CHECK (request_type IN ('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection')),
    CONSTRAINT data_subject_requests_due_chk CHECK (due_at > received_at)
);

CREATE INDEX data_subject_requests_organization_status_due_idx ON data_subject_requests (organization_id, status, due_at);
CREATE INDEX data_subject_requests_subject_user_id_idx ON data_subject_requests (subject_user_id);
CREATE INDEX data_subject_requests_handled_by_idx ON data_subject_requests (handled_by);

CREATE TABLE data_processing_records (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    purpose text NOT NULL,
    legal_basis varchar(32) NOT NULL,
    data_categories text[] NOT NULL DEFAULT '{}',
    data_subjects text[] NOT NULL DEFAULT '{}',
    recipients text[] NOT NULL DEFAULT '{}',
    retention_policy_id bigint REFERENCES data_retention_policies (id) ON DELETE SET NULL,
    transfers_outside_eea boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT data_processing_records_basis_chk CHECK (legal_basis IN (
        'consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests')),
    CONSTRAINT data_processing_records_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX data_processing_records_retention_policy_id_idx ON data_processing_records (retention_policy_id);

CREATE TABLE data_breach_incidents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title varchar(300) NOT NULL,
    description text,
    severity compliance_severity NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'investigating',
    detected_at timestamptz NOT NULL,
    contained_at timestamptz,
    reported_to_authority_at timestamptz,
    affected_subjects_count integer,
    reported_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT data_breach_incidents_status_chk CHECK (status IN ('investigating', 'contained', 'notified', 'closed')),
    CONSTRAINT data_breach_incidents_affected_chk CHECK (affected_subjects_count IS NULL OR affected_subjects_count >= 0),
    CONSTRAINT data_breach_incidents_contained_chk CHECK (contained_at IS NULL OR contained_at >= detected_at)
);

CREATE INDEX data_breach_incidents_organization_detected_idx ON data_breach_incidents (organization_id, detected_at DESC);
CREATE INDEX data_breach_incidents_reported_by_idx ON data_breach_incidents (reported_by);

CREATE TABLE compliance_risks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title varchar(300) NOT NULL,
    description text,
    likelihood smallint NOT NULL,
    impact smallint NOT NULL,
    risk_score smallint GENERATED ALWAYS AS (likelihood * impact) STORED,
    treatment varchar(16) NOT NULL DEFAULT 'mitigate',
    status varchar(16) NOT NULL DEFAULT 'open',
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    review_due_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT compliance_risks_likelihood_chk CHECK (likelihood BETWEEN 1 AND 5),
    CONSTRAINT compliance_risks_impact_chk CHECK (impact BETWEEN 1 AND 5),
    CONSTRAINT compliance_risks_treatment_chk CHECK (treatment IN ('accept', 'mitigate', 'transfer', 'avoid')),
    CONSTRAINT compliance_risks_status_chk CHECK (status IN ('open', 'treated', 'closed'))
);

CREATE INDEX compliance_risks_organization_score_idx ON compliance_risks (organization_id, risk_score DESC);
CREATE INDEX compliance_risks_owner_id_idx ON compliance_risks (owner_id);

CREATE TRIGGER compliance_policies_set_updated_at BEFORE UPDATE ON compliance_policies FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER compliance_controls_set_updated_at BEFORE UPDATE ON compliance_controls FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER compliance_findings_set_updated_at BEFORE UPDATE ON compliance_findings FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER data_subject_requests_set_updated_at BEFORE UPDATE ON data_subject_requests FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
