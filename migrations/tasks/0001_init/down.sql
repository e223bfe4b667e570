-- tasks/0001_init (down)

DELETE FROM rbac_permissions
WHERE code IN ('tasks.projects.read', 'tasks.projects.write', 'tasks.projects.admin');

DROP TRIGGER task_saved_views_set_updated_at ON task_saved_views;
DROP TRIGGER tasks_set_updated_at ON tasks;
DROP TRIGGER projects_set_updated_at ON projects;

DROP TABLE task_saved_views;
DROP TABLE task_activity_log;
DROP TABLE task_checklist_items;
DROP TABLE task_attachments;
DROP TABLE task_time_entries;
DROP TABLE task_dependencies;
DROP TABLE task_watchers;
DROP TABLE task_label_assignments;
DROP TABLE task_labels;
DROP TABLE task_comments;
DROP TABLE tasks;
DROP TABLE task_sprints;
DROP TABLE project_milestones;
DROP TABLE project_members;
DROP TABLE projects;

DROP TYPE task_priority;
DROP TYPE task_status;
