CREATE TABLE users (
    id integer PRIMARY KEY,
    email varchar(200) NOT NULL,
    legacy_ref integer
);

CREATE TABLE teams (id bigserial PRIMARY KEY, name text NOT NULL);

-- A snapshot table: its columns come from the query.
CREATE TABLE user_emails AS
    SELECT u.id AS user_id, lower(u.email) AS email_lower, now() AS taken_at, 0::bigint AS visits
    FROM users u
    WITH NO DATA;

SELECT id, email INTO user_backup FROM users;
