DROP INDEX CONCURRENTLY IF EXISTS notes_one_per_user_ix;
DROP INDEX CONCURRENTLY IF EXISTS notes_ok_ix;
-- A statement that undoes nothing 0003 does (notes_body_ix is 0002's): a
-- failed run of 0003 must not run it (migrate_test).
DROP INDEX CONCURRENTLY IF EXISTS notes_body_ix;
