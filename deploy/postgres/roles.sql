-- Least-privilege roles for schemagate. Run once per database, as a superuser
-- or the database owner, with psql:
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 \
--     -v migrator=schemagate_migrator -v migrator_password="$MIGRATOR_PASSWORD" \
--     -v reader=schemagate_reader -v reader_password="$READER_PASSWORD" \
--     [-v history_schema=schemagate] -f deploy/postgres/roles.sql
--
-- migrator: the migration Job (`schemagate migrate`, rollback, repair). It
--   creates and owns the application's tables and the history schema.
-- reader:   the serving Deployment (`schemagate serve` without admin work).
--   It may connect, read the history tables and pg_catalog (for verify) —
--   nothing else: no DDL, no access to the application's rows. Admin RPCs
--   on a server running as reader fail with "permission denied".
-- (tests/security/security_test.cc runs this file as written.)
\if :{?history_schema}
\else
  \set history_schema schemagate
\endif

CREATE ROLE :"migrator" LOGIN PASSWORD :'migrator_password';
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password';

SELECT format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO %I',
              current_database(), :'migrator') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader') \gexec
GRANT USAGE, CREATE ON SCHEMA public TO :"migrator";

-- The history schema, owned by the migrator; the reader reads its tables,
-- including those the migrator creates later.
CREATE SCHEMA IF NOT EXISTS :"history_schema" AUTHORIZATION :"migrator";
GRANT USAGE ON SCHEMA :"history_schema" TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA :"history_schema" TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA :"history_schema"
  GRANT SELECT ON TABLES TO :"reader";
