-- billing/0002_dunning (down)

DROP TABLE billing_dunning_attempts;

ALTER TABLE billing_accounts
    DROP COLUMN dunning_contact_email,
    DROP COLUMN dunning_paused;
