-- One table per migration; the NOT NULL check added without a scan.
ALTER TABLE sessions ADD COLUMN expires_at timestamptz;
ALTER TABLE sessions ADD CONSTRAINT sessions_expiry_nn CHECK (expires_at IS NOT NULL) NOT VALID;
