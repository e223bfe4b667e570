CREATE TABLE comments (
    id bigserial PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id bigint NOT NULL REFERENCES accounts (id),
    body text NOT NULL
);
ALTER TABLE accounts ADD COLUMN display_name text;
