-- people/0002_contact_lifecycle (down)

DROP TABLE crm_contact_merges;

DROP INDEX crm_leads_converted_opportunity_id_idx;

ALTER TABLE crm_leads
    DROP COLUMN converted_opportunity_id;

ALTER TABLE crm_contacts DROP CONSTRAINT crm_contacts_lifecycle_stage_chk;

ALTER TABLE crm_contacts
    DROP COLUMN last_contacted_at,
    DROP COLUMN lifecycle_stage;
