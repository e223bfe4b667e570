-- core/0002_teams_and_user_locale (down)

DROP TRIGGER teams_set_updated_at ON teams;

DROP TABLE team_members;
DROP TABLE teams;

ALTER TABLE users DROP CONSTRAINT users_locale_format_chk;

ALTER TABLE users
    DROP COLUMN locale,
    DROP COLUMN timezone;
