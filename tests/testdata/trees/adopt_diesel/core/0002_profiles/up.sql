-- schemagate:imported-from diesel 20200102000000
ALTER TABLE users ADD COLUMN display_name text;
CREATE TABLE profiles (
    user_id bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    bio     text
);
