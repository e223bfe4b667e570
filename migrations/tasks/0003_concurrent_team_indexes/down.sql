-- tasks/0003_concurrent_team_indexes (down)
-- Runs outside a transaction, like up.sql.

DROP INDEX CONCURRENTLY IF EXISTS projects_default_team_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS tasks_team_id_idx;
