CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email varchar(320) NOT NULL UNIQUE,
    updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT app_manage_updated_at('users');
