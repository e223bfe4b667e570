DROP TABLE task_counts;
DROP TABLE tasks;
