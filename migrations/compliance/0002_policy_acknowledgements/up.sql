-- compliance/0002_policy_acknowledgements
-- Employees must acknowledge selected policies: one acknowledgement per
-- user per policy version.

ALTER TABLE compliance_policies
    ADD COLUMN requires_acknowledgement boolean NOT NULL DEFAULT false;

CREATE TABLE compliance_policy_acknowledgements (
    policy_id bigint NOT NULL REFERENCES compliance_policies (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    policy_version integer NOT NULL,
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    ip_address inet,
    PRIMARY KEY (policy_id, user_id, policy_version),
    CONSTRAINT compliance_policy_acknowledgements_version_chk CHECK (policy_version > 0)
);

CREATE INDEX compliance_policy_acknowledgements_user_id_idx ON compliance_policy_acknowledgements (user_id);
