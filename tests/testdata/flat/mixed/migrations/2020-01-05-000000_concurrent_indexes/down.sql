DROP INDEX CONCURRENTLY users_email_lower_idx;
DROP INDEX CONCURRENTLY tasks_assignee_idx;
