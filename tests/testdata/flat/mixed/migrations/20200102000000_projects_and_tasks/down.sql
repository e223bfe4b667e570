DROP INDEX users_default_project_idx;
ALTER TABLE users DROP COLUMN default_project_id;
DROP TABLE tasks;
DROP TABLE projects;
