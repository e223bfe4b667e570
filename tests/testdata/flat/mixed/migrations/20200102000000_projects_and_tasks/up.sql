CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    owner_id bigint NOT NULL REFERENCES users (id),
    name text NOT NULL
);
CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    assignee_id bigint REFERENCES users (id),
    title text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT app_manage_updated_at('tasks');
ALTER TABLE users ADD COLUMN default_project_id bigint REFERENCES projects (id) ON DELETE SET NULL;
CREATE INDEX users_default_project_idx ON users (default_project_id);
