-- compliance/0001_init (down)

DROP TRIGGER data_subject_requests_set_updated_at ON data_subject_requests;
DROP TRIGGER compliance_findings_set_updated_at ON compliance_findings;
DROP TRIGGER compliance_controls_set_updated_at ON compliance_controls;
DROP TRIGGER compliance_policies_set_updated_at ON compliance_policies;

DROP TABLE compliance_risks;
DROP TABLE data_breach_incidents;
DROP TABLE data_processing_records;
DROP TABLE data_subject_requests;
DROP TABLE data_retention_policies;
DROP TABLE cookie_consents;
DROP TABLE legal_acceptances;
DROP TABLE legal_document_versions;
DROP TABLE legal_documents;
DROP TABLE compliance_findings;
DROP TABLE compliance_audits;
DROP TABLE compliance_evidence;
DROP TABLE compliance_controls;
DROP TABLE compliance_policies;
DROP TABLE compliance_frameworks;

DROP TYPE compliance_dsr_status;
DROP TYPE compliance_severity;
