-- research/0001_init

CREATE TABLE research_projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title varchar(300) NOT NULL,
    research_question text,
    status varchar(16) NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT research_projects_status_chk CHECK (status IN ('active', 'paused', 'completed', 'archived'))
);

CREATE INDEX research_projects_organization_id_idx ON research_projects (organization_id);
CREATE INDEX research_projects_owner_id_idx ON research_projects (owner_id);

CREATE TABLE research_collaborators (
    project_id bigint NOT NULL REFERENCES research_projects (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role varchar(16) NOT NULL DEFAULT 'contributor',
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id),
    CONSTRAINT research_collaborators_role_chk CHECK (role IN ('lead', 'contributor', 'reviewer', 'viewer'))
);

CREATE INDEX research_collaborators_user_id_idx ON research_collaborators (user_id);

CREATE TABLE research_sources (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES research_projects (id) ON DELETE CASCADE,
    source_type varchar(16) NOT NULL,
    title varchar(1000) NOT NULL,
    url text,
    authors text[] NOT NULL DEFAULT '{}',
    published_on date,
    doi varchar(255),
    drive_file_id bigint REFERENCES drive_files (id) ON DELETE SET NULL,
    summary text,
    reliability smallint,
    added_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT research_sources_type_chk CHECK (source_type IN ('web', 'paper', 'book', 'file', 'dataset', 'interview', 'other')),
    CONSTRAINT research_sources_reliability_chk CHECK (reliability IS NULL OR reliability BETWEEN 1 AND 5),
    CONSTRAINT research_sources_doi_chk CHECK (doi IS NULL OR doi LIKE '10.%')
);

CREATE INDEX research_sources_project_id_idx ON research_sources (project_id);
CREATE INDEX research_sources_drive_file_id_idx ON research_sources (drive_file_id);
CREATE INDEX research_sources_added_by_idx ON research_sources (added_by);
CREATE UNIQUE INDEX research_sources_project_doi_key ON research_sources (project_id, doi) WHERE doi IS NOT NULL;

CREATE TABLE research_notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES research_projects (id) ON DELETE CASCADE,
    source_id bigint REFERENCES research_sources (id) ON DELETE SET NULL,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX research_notes_project_created_idx ON research_notes (project_id, created_at DESC);
CREATE INDEX research_notes_source_id_idx ON research_notes (source_id);
CREATE INDEX research_notes_author_id_idx ON research_notes (author_id);

CREATE TABLE research_citations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note_id bigint NOT NULL REFERENCES research_notes (id) ON DELETE CASCADE,
    source_id bigint NOT NULL REFERENCES research_sources (id) ON DELETE CASCADE,
    locator varchar(100),
    quote text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT research_citations_locator_key UNIQUE NULLS NOT DISTINCT (note_id, source_id, locator)
);

CREATE INDEX research_citations_source_id_idx ON research_citations (source_id);

CREATE TABLE research_tags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES research_projects (id) ON DELETE CASCADE,
    name varchar(64) NOT NULL,
    CONSTRAINT research_tags_project_name_key UNIQUE (project_id, name)
);

CREATE TABLE research_source_tags (
    source_id bigint NOT NULL REFERENCES research_sources (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES research_tags (id) ON DELETE CASCADE,
    PRIMARY KEY (source_id, tag_id)
);

CREATE INDEX research_source_tags_tag_id_idx ON research_source_tags (tag_id);

CREATE TABLE research_queries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES research_projects (id) ON DELETE CASCADE,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    asked_by bigint REFERENCES users (id) ON DELETE SET NULL,
    query_text text NOT NULL,
    response text,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX research_queries_project_created_idx ON research_queries (project_id, created_at DESC);
CREATE INDEX research_queries_bot_id_idx ON research_queries (bot_id);
CREATE INDEX research_queries_asked_by_idx ON research_queries (asked_by);

CREATE TRIGGER research_projects_set_updated_at BEFORE UPDATE ON research_projects FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER research_notes_set_updated_at BEFORE UPDATE ON research_notes FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
