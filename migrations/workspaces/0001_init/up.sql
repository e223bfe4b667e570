-- workspaces/0001_init

CREATE TABLE workspaces (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    slug varchar(63) NOT NULL,
    icon varchar(64),
    description text,
    visibility varchar(16) NOT NULL DEFAULT 'organization',
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspaces_visibility_chk CHECK (visibility IN ('private', 'organization')),
    CONSTRAINT workspaces_slug_format_chk CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    CONSTRAINT workspaces_organization_slug_key UNIQUE (organization_id, slug)
);

CREATE INDEX workspaces_created_by_idx ON workspaces (created_by);

CREATE TABLE workspace_members (
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role varchar(16) NOT NULL DEFAULT 'editor',
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id),
    CONSTRAINT workspace_members_role_chk CHECK (role IN ('admin', 'editor', 'commenter', 'viewer'))
);

CREATE INDEX workspace_members_user_id_idx ON workspace_members (user_id);

CREATE TABLE workspace_pages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    parent_page_id bigint REFERENCES workspace_pages (id) ON DELETE CASCADE,
    title varchar(500) NOT NULL DEFAULT '',
    icon varchar(64),
    sort_order integer NOT NULL DEFAULT 0,
    is_archived boolean NOT NULL DEFAULT false,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    last_edited_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspace_pages_not_own_parent_chk CHECK (parent_page_id IS NULL OR parent_page_id <> id)
);

CREATE INDEX workspace_pages_workspace_parent_idx ON workspace_pages (workspace_id, parent_page_id, sort_order);
CREATE INDEX workspace_pages_parent_page_id_idx ON workspace_pages (parent_page_id);
CREATE INDEX workspace_pages_created_by_idx ON workspace_pages (created_by);
CREATE INDEX workspace_pages_last_edited_by_idx ON workspace_pages (last_edited_by);

CREATE TABLE workspace_blocks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id bigint NOT NULL REFERENCES workspace_pages (id) ON DELETE CASCADE,
    parent_block_id bigint REFERENCES workspace_blocks (id) ON DELETE CASCADE,
    block_type varchar(24) NOT NULL,
    content jsonb NOT NULL DEFAULT '{}'::jsonb,
    sort_order integer NOT NULL DEFAULT 0,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspace_blocks_type_chk CHECK (block_type IN (
        'paragraph', 'heading', 'bulleted_list', 'numbered_list', 'todo', 'quote', 'code',
        'callout', 'divider', 'image', 'embed', 'table', 'toggle'))
);

CREATE INDEX workspace_blocks_page_order_idx ON workspace_blocks (page_id, parent_block_id, sort_order);
CREATE INDEX workspace_blocks_parent_block_id_idx ON workspace_blocks (parent_block_id);
CREATE INDEX workspace_blocks_created_by_idx ON workspace_blocks (created_by);

CREATE TABLE workspace_page_versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id bigint NOT NULL REFERENCES workspace_pages (id) ON DELETE CASCADE,
    version_number integer NOT NULL,
    snapshot jsonb NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspace_page_versions_number_chk CHECK (version_number > 0),
    CONSTRAINT workspace_page_versions_page_version_key UNIQUE (page_id, version_number)
);

CREATE INDEX workspace_page_versions_created_by_idx ON workspace_page_versions (created_by);

CREATE TABLE workspace_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id bigint NOT NULL REFERENCES workspace_pages (id) ON DELETE CASCADE,
    block_id bigint REFERENCES workspace_blocks (id) ON DELETE SET NULL,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL,
    resolved_at timestamptz,
    resolved_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX workspace_comments_page_created_idx ON workspace_comments (page_id, created_at);
CREATE INDEX workspace_comments_block_id_idx ON workspace_comments (block_id);
CREATE INDEX workspace_comments_author_id_idx ON workspace_comments (author_id);
CREATE INDEX workspace_comments_resolved_by_idx ON workspace_comments (resolved_by);

-- organization_id IS NULL: built-in template available to everyone.
CREATE TABLE workspace_templates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    description text,
    content jsonb NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspace_templates_name_key UNIQUE NULLS NOT DISTINCT (organization_id, name)
);

CREATE INDEX workspace_templates_created_by_idx ON workspace_templates (created_by);

CREATE TRIGGER workspaces_set_updated_at BEFORE UPDATE ON workspaces FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER workspace_pages_set_updated_at BEFORE UPDATE ON workspace_pages FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER workspace_blocks_set_updated_at BEFORE UPDATE ON workspace_blocks FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
