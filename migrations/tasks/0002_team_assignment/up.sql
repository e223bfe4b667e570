-- schemagate:requires core/0002
-- tasks/0002_team_assignment
-- Lets projects and tasks be owned by a team (teams were added by
-- core/0002) and adds recurring task rules, evaluated in the creator's
-- timezone (users.timezone, also from core/0002).
-- Indexes on the new foreign-key columns of the existing, potentially large
-- tables are built concurrently by tasks/0003.

-- schemagate:allow foreign-key-not-valid the column is new and NULL in every row: the validation finds nothing to check
ALTER TABLE projects
    ADD COLUMN default_team_id bigint REFERENCES teams (id) ON DELETE SET NULL;

-- schemagate:allow foreign-key-not-valid the column is new and NULL in every row: the validation finds nothing to check
-- schemagate:allow multiple-access-exclusive projects and tasks gain their team columns together; each statement is a short catalog change
ALTER TABLE tasks
    ADD COLUMN team_id bigint REFERENCES teams (id) ON DELETE SET NULL,
    ADD COLUMN story_points smallint;

-- schemagate:allow check-not-valid story_points was added above and is NULL in every row, which passes
ALTER TABLE tasks
    ADD CONSTRAINT tasks_story_points_chk CHECK (story_points IS NULL OR story_points BETWEEN 0 AND 100);

CREATE TABLE task_recurrence_rules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    rrule text NOT NULL,
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    next_occurrence_at timestamptz,
    ends_at timestamptz,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_recurrence_rules_template_key UNIQUE (template_task_id),
    CONSTRAINT task_recurrence_rules_rrule_chk CHECK (rrule LIKE 'FREQ=%')
);

CREATE INDEX task_recurrence_rules_created_by_idx ON task_recurrence_rules (created_by);
CREATE INDEX task_recurrence_rules_due_idx ON task_recurrence_rules (next_occurrence_at) WHERE is_active;

CREATE TRIGGER task_recurrence_rules_set_updated_at BEFORE UPDATE ON task_recurrence_rules FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
