-- compliance/0002_policy_acknowledgements (down)

DROP TABLE compliance_policy_acknowledgements;

ALTER TABLE compliance_policies
    DROP COLUMN requires_acknowledgement;
