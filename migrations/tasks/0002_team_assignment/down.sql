-- tasks/0002_team_assignment (down)

DROP TRIGGER task_recurrence_rules_set_updated_at ON task_recurrence_rules;

DROP TABLE task_recurrence_rules;

ALTER TABLE tasks DROP CONSTRAINT tasks_story_points_chk;

ALTER TABLE tasks
    DROP COLUMN story_points,
    DROP COLUMN team_id;

ALTER TABLE projects
    DROP COLUMN default_team_id;
