ALTER TABLE sessions DROP CONSTRAINT sessions_expiry_nn;
ALTER TABLE sessions DROP COLUMN expires_at;
