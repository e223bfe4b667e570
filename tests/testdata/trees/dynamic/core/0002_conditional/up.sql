-- Idempotent changes, as older histories write them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_name = 'users' AND column_name = 'id' AND data_type = 'integer') THEN
        ALTER TABLE users ALTER COLUMN id TYPE bigint;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_name = 'users' AND column_name = 'team_id') THEN
        ALTER TABLE users ADD COLUMN team_id bigint;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_team_fk') THEN
        ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);
    END IF;
    EXECUTE 'ALTER TABLE users ALTER COLUMN legacy_ref SET NOT NULL';
END
$$;
