-- schemagate:requires core/0002
-- goals/0001_init
-- Objectives can be owned by a team (teams table added by core/0002).

CREATE TYPE goals_metric_type AS ENUM ('percentage', 'number', 'currency', 'boolean');

CREATE TABLE okr_cycles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(100) NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    is_active boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT okr_cycles_dates_chk CHECK (ends_on > starts_on),
    CONSTRAINT okr_cycles_organization_name_key UNIQUE (organization_id, name)
);

CREATE TABLE okr_objectives (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle_id bigint NOT NULL REFERENCES okr_cycles (id) ON DELETE CASCADE,
    parent_objective_id bigint REFERENCES okr_objectives (id) ON DELETE SET NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    team_id bigint REFERENCES teams (id) ON DELETE SET NULL,
    title varchar(500) NOT NULL,
    description text,
    status varchar(16) NOT NULL DEFAULT 'on_track',
    progress numeric(5,2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT okr_objectives_status_chk CHECK (status IN ('not_started', 'on_track', 'at_risk', 'off_track', 'done', 'abandoned')),
    CONSTRAINT okr_objectives_progress_chk CHECK (progress BETWEEN 0 AND 100),
    CONSTRAINT okr_objectives_not_own_parent_chk CHECK (parent_objective_id IS NULL OR parent_objective_id <> id)
);

CREATE INDEX okr_objectives_cycle_id_idx ON okr_objectives (cycle_id);
CREATE INDEX okr_objectives_parent_objective_id_idx ON okr_objectives (parent_objective_id);
CREATE INDEX okr_objectives_owner_id_idx ON okr_objectives (owner_id);
CREATE INDEX okr_objectives_team_id_idx ON okr_objectives (team_id);

CREATE TABLE okr_key_results (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    objective_id bigint NOT NULL REFERENCES okr_objectives (id) ON DELETE CASCADE,
    project_id bigint REFERENCES projects (id) ON DELETE SET NULL,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title varchar(500) NOT NULL,
    metric_type goals_metric_type NOT NULL DEFAULT 'number',
    start_value numeric(14,2) NOT NULL DEFAULT 0,
    target_value numeric(14,2) NOT NULL,
    current_value numeric(14,2) NOT NULL DEFAULT 0,
    unit varchar(32),
    due_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT okr_key_results_target_chk CHECK (target_value <> start_value)
);

CREATE INDEX okr_key_results_objective_id_idx ON okr_key_results (objective_id);
CREATE INDEX okr_key_results_project_id_idx ON okr_key_results (project_id);
CREATE INDEX okr_key_results_owner_id_idx ON okr_key_results (owner_id);

CREATE TABLE okr_key_result_tasks (
    key_result_id bigint NOT NULL REFERENCES okr_key_results (id) ON DELETE CASCADE,
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    contribution_weight numeric(5,2) NOT NULL DEFAULT 1,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_result_id, task_id),
    CONSTRAINT okr_key_result_tasks_weight_chk CHECK (contribution_weight > 0)
);

CREATE INDEX okr_key_result_tasks_task_id_idx ON okr_key_result_tasks (task_id);

CREATE TABLE okr_checkins (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_result_id bigint NOT NULL REFERENCES okr_key_results (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    value numeric(14,2) NOT NULL,
    confidence smallint,
    note text,
    checked_in_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT okr_checkins_confidence_chk CHECK (confidence IS NULL OR confidence BETWEEN 1 AND 10)
);

CREATE INDEX okr_checkins_key_result_checked_idx ON okr_checkins (key_result_id, checked_in_at DESC);
CREATE INDEX okr_checkins_author_id_idx ON okr_checkins (author_id);

CREATE TABLE okr_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    objective_id bigint NOT NULL REFERENCES okr_objectives (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX okr_comments_objective_created_idx ON okr_comments (objective_id, created_at);
CREATE INDEX okr_comments_author_id_idx ON okr_comments (author_id);

CREATE TRIGGER okr_objectives_set_updated_at BEFORE UPDATE ON okr_objectives FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER okr_key_results_set_updated_at BEFORE UPDATE ON okr_key_results FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
