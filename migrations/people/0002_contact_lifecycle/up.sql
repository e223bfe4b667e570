-- people/0002_contact_lifecycle
-- Lifecycle stage on contacts, lead -> opportunity conversion link and a
-- merge history for de-duplicated contacts.

ALTER TABLE crm_contacts
    ADD COLUMN lifecycle_stage varchar(24) NOT NULL DEFAULT 'lead',
    ADD COLUMN last_contacted_at timestamptz;

-- schemagate:allow check-not-valid every row holds the constant default 'lead' added above, which passes
ALTER TABLE crm_contacts
    ADD CONSTRAINT crm_contacts_lifecycle_stage_chk
    CHECK (lifecycle_stage IN ('subscriber', 'lead', 'marketing_qualified', 'sales_qualified', 'opportunity', 'customer', 'evangelist', 'other'));

-- schemagate:allow foreign-key-not-valid the column is new and NULL in every row: the validation finds nothing to check
-- schemagate:allow multiple-access-exclusive crm_contacts and crm_leads change together in this release; each statement is a short catalog change
ALTER TABLE crm_leads
    ADD COLUMN converted_opportunity_id bigint REFERENCES crm_opportunities (id) ON DELETE SET NULL;

-- schemagate:allow index-not-concurrent a partial index on a column that is NULL in every row: it indexes nothing
CREATE INDEX crm_leads_converted_opportunity_id_idx ON crm_leads (converted_opportunity_id) WHERE converted_opportunity_id IS NOT NULL;

CREATE TABLE crm_contact_merges (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    surviving_contact_id bigint NOT NULL REFERENCES crm_contacts (id) ON DELETE CASCADE,
    merged_contact_id bigint NOT NULL,
    merged_contact_snapshot jsonb NOT NULL,
    merged_by bigint REFERENCES users (id) ON DELETE SET NULL,
    merged_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT crm_contact_merges_distinct_chk CHECK (merged_contact_id <> surviving_contact_id)
);

CREATE INDEX crm_contact_merges_organization_id_idx ON crm_contact_merges (organization_id);
CREATE INDEX crm_contact_merges_surviving_contact_id_idx ON crm_contact_merges (surviving_contact_id);
CREATE INDEX crm_contact_merges_merged_by_idx ON crm_contact_merges (merged_by);
