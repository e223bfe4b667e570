-- schemagate:no-transaction
-- tasks/0003_concurrent_team_indexes
-- Indexes for the team foreign keys added in tasks/0002, built without
-- blocking writes on tasks/projects. On failure run down.sql, then re-apply.

CREATE INDEX CONCURRENTLY tasks_team_id_idx ON tasks (team_id) WHERE team_id IS NOT NULL;

CREATE INDEX CONCURRENTLY projects_default_team_id_idx ON projects (default_team_id) WHERE default_team_id IS NOT NULL;
