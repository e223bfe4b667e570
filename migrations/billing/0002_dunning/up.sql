-- billing/0002_dunning
-- Automated collection of overdue invoices.

ALTER TABLE billing_accounts
    ADD COLUMN dunning_paused boolean NOT NULL DEFAULT false,
    ADD COLUMN dunning_contact_email varchar(320);

CREATE TABLE billing_dunning_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id bigint NOT NULL REFERENCES billing_invoices (id) ON DELETE CASCADE,
    payment_id bigint REFERENCES billing_payments (id) ON DELETE SET NULL,
    attempt_number smallint NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    outcome varchar(16) NOT NULL,
    next_attempt_at timestamptz,
    CONSTRAINT billing_dunning_attempts_number_chk CHECK (attempt_number > 0),
    CONSTRAINT billing_dunning_attempts_outcome_chk CHECK (outcome IN ('reminder_sent', 'charge_failed', 'charge_succeeded', 'escalated')),
    CONSTRAINT billing_dunning_attempts_invoice_attempt_key UNIQUE (invoice_id, attempt_number)
);

CREATE INDEX billing_dunning_attempts_payment_id_idx ON billing_dunning_attempts (payment_id);
CREATE INDEX billing_dunning_attempts_next_idx ON billing_dunning_attempts (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
