DROP INDEX CONCURRENTLY IF EXISTS notes_slow_b_ix;
DROP INDEX CONCURRENTLY IF EXISTS notes_slow_a_ix;
-- Time to kill a rollback between its down.sql and its history row (migrate_test).
SELECT pg_sleep(3.9);
