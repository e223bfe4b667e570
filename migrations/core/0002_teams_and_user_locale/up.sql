-- core/0002_teams_and_user_locale
-- Adds per-user timezone/locale and introduces teams (sub-groups of an
-- organization's members). Feature-cluster migrations that reference teams
-- carry a requires directive on core/0002.

-- Constant defaults: no table rewrite on PostgreSQL 11+.
ALTER TABLE users
    ADD COLUMN timezone varchar(64) NOT NULL DEFAULT 'UTC',
    ADD COLUMN locale varchar(16) NOT NULL DEFAULT 'en';

-- schemagate:allow check-not-valid every row holds the constant default 'en' added above, which passes: the scan of users cannot fail and reads one column
ALTER TABLE users
    ADD CONSTRAINT users_locale_format_chk CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');

CREATE TABLE teams (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(120) NOT NULL,
    slug varchar(63) NOT NULL,
    description text,
    lead_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT teams_organization_slug_key UNIQUE (organization_id, slug),
    CONSTRAINT teams_slug_format_chk CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    -- Target of the composite foreign key in team_members.
    CONSTRAINT teams_id_organization_key UNIQUE (id, organization_id)
);

CREATE INDEX teams_lead_user_id_idx ON teams (lead_user_id);

-- Two composite foreign keys keep the row consistent: the team belongs to
-- the organization, and the user is a member of that same organization.
CREATE TABLE team_members (
    team_id bigint NOT NULL,
    organization_id bigint NOT NULL,
    user_id bigint NOT NULL,
    role varchar(16) NOT NULL DEFAULT 'member',
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id),
    CONSTRAINT team_members_team_fkey FOREIGN KEY (team_id, organization_id)
        REFERENCES teams (id, organization_id) ON DELETE CASCADE,
    CONSTRAINT team_members_member_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT team_members_role_chk CHECK (role IN ('lead', 'member'))
);

-- (team_id, ...) lookups are served by the primary key.
CREATE INDEX team_members_organization_user_idx ON team_members (organization_id, user_id);

CREATE TRIGGER teams_set_updated_at BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
