-- Maintenance that does not belong in a migration.
DROP INDEX accounts_email_idx;
VACUUM FULL sessions;
DELETE FROM sessions;
