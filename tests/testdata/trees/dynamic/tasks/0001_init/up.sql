CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id bigint REFERENCES users (id),
    title text NOT NULL,
    done boolean NOT NULL DEFAULT false
);

CREATE TABLE task_counts AS
    SELECT t.owner_id, count(*) AS open_tasks, max(t.title)::varchar(100) AS last_title
    FROM tasks t WHERE NOT t.done GROUP BY t.owner_id;
