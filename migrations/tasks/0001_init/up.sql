-- tasks/0001_init
-- Project and task management.

CREATE TYPE task_status AS ENUM ('backlog', 'todo', 'in_progress', 'in_review', 'blocked', 'done', 'cancelled');

CREATE TYPE task_priority AS ENUM ('none', 'low', 'medium', 'high', 'urgent');

CREATE TABLE projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_key varchar(10) NOT NULL,
    name varchar(200) NOT NULL,
    description text,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    status varchar(16) NOT NULL DEFAULT 'active',
    start_date date,
    due_date date,
    next_task_number integer NOT NULL DEFAULT 1,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    CONSTRAINT projects_organization_key_key UNIQUE (organization_id, project_key),
    CONSTRAINT projects_key_format_chk CHECK (project_key ~ '^[A-Z][A-Z0-9]{1,9}$'),
    CONSTRAINT projects_status_chk CHECK (status IN ('active', 'on_hold', 'completed', 'archived')),
    CONSTRAINT projects_dates_chk CHECK (due_date IS NULL OR start_date IS NULL OR due_date >= start_date),
    CONSTRAINT projects_next_task_number_chk CHECK (next_task_number > 0)
);

CREATE INDEX projects_owner_id_idx ON projects (owner_id);

CREATE TABLE project_members (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role varchar(16) NOT NULL DEFAULT 'editor',
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id),
    CONSTRAINT project_members_role_chk CHECK (role IN ('owner', 'editor', 'viewer'))
);

CREATE INDEX project_members_user_id_idx ON project_members (user_id);

CREATE TABLE project_milestones (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    description text,
    due_date date,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_milestones_project_name_key UNIQUE (project_id, name)
);

CREATE TABLE task_sprints (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    goal text,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    state varchar(16) NOT NULL DEFAULT 'planned',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_sprints_dates_chk CHECK (ends_on >= starts_on),
    CONSTRAINT task_sprints_state_chk CHECK (state IN ('planned', 'active', 'closed')),
    CONSTRAINT task_sprints_project_name_key UNIQUE (project_id, name)
);

CREATE UNIQUE INDEX task_sprints_one_active_per_project_key ON task_sprints (project_id) WHERE state = 'active';

CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_number integer NOT NULL,
    parent_id bigint REFERENCES tasks (id) ON DELETE SET NULL,
    milestone_id bigint REFERENCES project_milestones (id) ON DELETE SET NULL,
    sprint_id bigint REFERENCES task_sprints (id) ON DELETE SET NULL,
    title varchar(500) NOT NULL,
    description text,
    status task_status NOT NULL DEFAULT 'todo',
    priority task_priority NOT NULL DEFAULT 'none',
    assignee_id bigint REFERENCES users (id) ON DELETE SET NULL,
    reporter_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_by_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    due_at timestamptz,
    started_at timestamptz,
    completed_at timestamptz,
    estimate_minutes integer,
    sort_order numeric(20,10) NOT NULL DEFAULT 0,
    custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tasks_project_number_key UNIQUE (project_id, task_number),
    CONSTRAINT tasks_task_number_chk CHECK (task_number > 0),
    CONSTRAINT tasks_not_own_parent_chk CHECK (parent_id IS NULL OR parent_id <> id),
    CONSTRAINT tasks_estimate_chk CHECK (estimate_minutes IS NULL OR estimate_minutes >= 0),
    CONSTRAINT tasks_title_not_blank_chk CHECK (length(btrim(title)) > 0)
);

CREATE INDEX tasks_project_status_idx ON tasks (project_id, status);
CREATE INDEX tasks_parent_id_idx ON tasks (parent_id);
CREATE INDEX tasks_milestone_id_idx ON tasks (milestone_id);
CREATE INDEX tasks_sprint_id_idx ON tasks (sprint_id);
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id);
CREATE INDEX tasks_reporter_id_idx ON tasks (reporter_id);
CREATE INDEX tasks_created_by_bot_id_idx ON tasks (created_by_bot_id);
CREATE INDEX tasks_open_due_at_idx ON tasks (due_at) WHERE status NOT IN ('done', 'cancelled');

CREATE TABLE task_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    body text NOT NULL,
    edited_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_comments_body_chk CHECK (length(body) > 0)
);

CREATE INDEX task_comments_task_id_created_at_idx ON task_comments (task_id, created_at);
CREATE INDEX task_comments_author_id_idx ON task_comments (author_id);
CREATE INDEX task_comments_bot_id_idx ON task_comments (bot_id);

CREATE TABLE task_labels (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name varchar(64) NOT NULL,
    color varchar(7) NOT NULL DEFAULT '#6b7280',
    CONSTRAINT task_labels_project_name_key UNIQUE (project_id, name),
    CONSTRAINT task_labels_color_chk CHECK (color ~ '^#[0-9a-fA-F]{6}$')
);

CREATE TABLE task_label_assignments (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id bigint NOT NULL REFERENCES task_labels (id) ON DELETE CASCADE,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, label_id)
);

CREATE INDEX task_label_assignments_label_id_idx ON task_label_assignments (label_id);

CREATE TABLE task_watchers (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, user_id)
);

CREATE INDEX task_watchers_user_id_idx ON task_watchers (user_id);

CREATE TABLE task_dependencies (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    depends_on_task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    dependency_type varchar(16) NOT NULL DEFAULT 'blocks',
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_dependencies_type_chk CHECK (dependency_type IN ('blocks', 'relates_to', 'duplicates')),
    CONSTRAINT task_dependencies_not_self_chk CHECK (task_id <> depends_on_task_id),
    CONSTRAINT task_dependencies_pair_key UNIQUE (task_id, depends_on_task_id, dependency_type)
);

CREATE INDEX task_dependencies_depends_on_task_id_idx ON task_dependencies (depends_on_task_id);
CREATE INDEX task_dependencies_created_by_idx ON task_dependencies (created_by);

CREATE TABLE task_time_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    duration_minutes integer NOT NULL,
    note text,
    is_billable boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_time_entries_duration_chk CHECK (duration_minutes > 0),
    CONSTRAINT task_time_entries_range_chk CHECK (ended_at IS NULL OR ended_at > started_at)
);

CREATE INDEX task_time_entries_task_id_idx ON task_time_entries (task_id);
CREATE INDEX task_time_entries_user_started_idx ON task_time_entries (user_id, started_at DESC);

CREATE TABLE task_attachments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    uploaded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    file_name varchar(255) NOT NULL,
    mime_type varchar(255) NOT NULL DEFAULT 'application/octet-stream',
    byte_size bigint NOT NULL,
    storage_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_attachments_byte_size_chk CHECK (byte_size >= 0),
    CONSTRAINT task_attachments_storage_key_key UNIQUE (storage_key)
);

CREATE INDEX task_attachments_task_id_idx ON task_attachments (task_id);
CREATE INDEX task_attachments_uploaded_by_idx ON task_attachments (uploaded_by);

CREATE TABLE task_checklist_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    content varchar(500) NOT NULL,
    is_done boolean NOT NULL DEFAULT false,
    sort_order integer NOT NULL DEFAULT 0,
    completed_by bigint REFERENCES users (id) ON DELETE SET NULL,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_checklist_items_done_chk CHECK (is_done OR completed_at IS NULL)
);

CREATE INDEX task_checklist_items_task_id_sort_idx ON task_checklist_items (task_id, sort_order);
CREATE INDEX task_checklist_items_completed_by_idx ON task_checklist_items (completed_by);

CREATE TABLE task_activity_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    actor_id bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    action varchar(64) NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX task_activity_log_task_id_created_at_idx ON task_activity_log (task_id, created_at DESC);
CREATE INDEX task_activity_log_actor_id_idx ON task_activity_log (actor_id);
CREATE INDEX task_activity_log_actor_bot_id_idx ON task_activity_log (actor_bot_id);

CREATE TABLE task_saved_views (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    filters jsonb NOT NULL DEFAULT '{}'::jsonb,
    layout varchar(16) NOT NULL DEFAULT 'list',
    is_shared boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_saved_views_layout_chk CHECK (layout IN ('list', 'board', 'timeline', 'calendar')),
    CONSTRAINT task_saved_views_owner_name_key UNIQUE (project_id, owner_id, name)
);

CREATE INDEX task_saved_views_owner_id_idx ON task_saved_views (owner_id);

CREATE TRIGGER projects_set_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER tasks_set_updated_at BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER task_saved_views_set_updated_at BEFORE UPDATE ON task_saved_views FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();

-- Feature permissions (rbac_permissions is a core table. down.sql deletes these rows again.)
INSERT INTO rbac_permissions (code, description) VALUES
    ('tasks.projects.read', 'View projects and tasks'),
    ('tasks.projects.write', 'Create and edit projects and tasks'),
    ('tasks.projects.admin', 'Manage project settings, members and deletion');
