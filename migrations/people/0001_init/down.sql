-- people/0001_init (down)

DROP TRIGGER people_notes_set_updated_at ON people_notes;
DROP TRIGGER crm_opportunities_set_updated_at ON crm_opportunities;
DROP TRIGGER crm_leads_set_updated_at ON crm_leads;
DROP TRIGGER crm_contacts_set_updated_at ON crm_contacts;
DROP TRIGGER crm_accounts_set_updated_at ON crm_accounts;

DROP TABLE people_imports;
DROP TABLE people_segment_members;
DROP TABLE people_segments;
DROP TABLE crm_custom_fields;
DROP TABLE people_contact_tags;
DROP TABLE people_tags;
DROP TABLE people_notes;
DROP TABLE crm_activities;
DROP TABLE crm_opportunities;
DROP TABLE crm_pipeline_stages;
DROP TABLE crm_pipelines;
DROP TABLE crm_leads;
DROP TABLE crm_lead_sources;
DROP TABLE crm_contact_addresses;
DROP TABLE crm_contacts;
DROP TABLE crm_accounts;

DROP TYPE people_activity_type;
DROP TYPE people_lead_status;
