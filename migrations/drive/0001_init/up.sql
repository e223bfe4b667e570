-- drive/0001_init

CREATE TABLE drive_folders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    parent_id bigint REFERENCES drive_folders (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(255) NOT NULL,
    color varchar(7),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    trashed_at timestamptz,
    CONSTRAINT drive_folders_name_chk CHECK (length(btrim(name)) > 0 AND strpos(name, '/') = 0),
    CONSTRAINT drive_folders_not_own_parent_chk CHECK (parent_id IS NULL OR parent_id <> id)
);

CREATE INDEX drive_folders_organization_id_idx ON drive_folders (organization_id);
CREATE INDEX drive_folders_parent_id_idx ON drive_folders (parent_id);
CREATE INDEX drive_folders_owner_id_idx ON drive_folders (owner_id);
-- Sibling names are unique among non-trashed folders. Root folders
-- (parent_id IS NULL) are compared too thanks to NULLS NOT DISTINCT.
CREATE UNIQUE INDEX drive_folders_sibling_name_key ON drive_folders (organization_id, parent_id, name) NULLS NOT DISTINCT
    WHERE trashed_at IS NULL;

CREATE TABLE drive_files (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id uuid NOT NULL DEFAULT gen_random_uuid(),
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    folder_id bigint REFERENCES drive_folders (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    name varchar(255) NOT NULL,
    mime_type varchar(255) NOT NULL DEFAULT 'application/octet-stream',
    byte_size bigint NOT NULL DEFAULT 0,
    current_version integer NOT NULL DEFAULT 1,
    checksum_sha256 varchar(64),
    storage_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    trashed_at timestamptz,
    CONSTRAINT drive_files_public_id_key UNIQUE (public_id),
    CONSTRAINT drive_files_storage_key_key UNIQUE (storage_key),
    CONSTRAINT drive_files_byte_size_chk CHECK (byte_size >= 0),
    CONSTRAINT drive_files_version_chk CHECK (current_version > 0),
    CONSTRAINT drive_files_name_chk CHECK (length(btrim(name)) > 0 AND strpos(name, '/') = 0)
);

CREATE INDEX drive_files_organization_updated_idx ON drive_files (organization_id, updated_at DESC);
CREATE INDEX drive_files_folder_id_idx ON drive_files (folder_id);
CREATE INDEX drive_files_owner_id_idx ON drive_files (owner_id);
CREATE INDEX drive_files_trashed_idx ON drive_files (trashed_at) WHERE trashed_at IS NOT NULL;

CREATE TABLE drive_file_versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id bigint NOT NULL REFERENCES drive_files (id) ON DELETE CASCADE,
    version_number integer NOT NULL,
    storage_key text NOT NULL,
    byte_size bigint NOT NULL,
    checksum_sha256 varchar(64),
    uploaded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    comment text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drive_file_versions_number_chk CHECK (version_number > 0),
    CONSTRAINT drive_file_versions_byte_size_chk CHECK (byte_size >= 0),
    CONSTRAINT drive_file_versions_file_version_key UNIQUE (file_id, version_number),
    CONSTRAINT drive_file_versions_storage_key_key UNIQUE (storage_key)
);

CREATE INDEX drive_file_versions_uploaded_by_idx ON drive_file_versions (uploaded_by);

-- Exactly one of file_id / folder_id is set.
CREATE TABLE drive_shares (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id bigint REFERENCES drive_files (id) ON DELETE CASCADE,
    folder_id bigint REFERENCES drive_folders (id) ON DELETE CASCADE,
    grantee_user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission varchar(16) NOT NULL DEFAULT 'viewer',
    granted_by bigint REFERENCES users (id) ON DELETE SET NULL,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drive_shares_target_chk CHECK (num_nonnulls(file_id, folder_id) = 1),
    CONSTRAINT drive_shares_permission_chk CHECK (permission IN ('viewer', 'commenter', 'editor', 'owner'))
);

CREATE UNIQUE INDEX drive_shares_file_grantee_key ON drive_shares (file_id, grantee_user_id) WHERE file_id IS NOT NULL;
CREATE UNIQUE INDEX drive_shares_folder_grantee_key ON drive_shares (folder_id, grantee_user_id) WHERE folder_id IS NOT NULL;
CREATE INDEX drive_shares_grantee_user_id_idx ON drive_shares (grantee_user_id);
CREATE INDEX drive_shares_granted_by_idx ON drive_shares (granted_by);

CREATE TABLE drive_share_links (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id bigint REFERENCES drive_files (id) ON DELETE CASCADE,
    folder_id bigint REFERENCES drive_folders (id) ON DELETE CASCADE,
    token varchar(64) NOT NULL,
    permission varchar(16) NOT NULL DEFAULT 'viewer',
    password_hash text,
    max_downloads integer,
    download_count integer NOT NULL DEFAULT 0,
    expires_at timestamptz,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CONSTRAINT drive_share_links_token_key UNIQUE (token),
    CONSTRAINT drive_share_links_target_chk CHECK (num_nonnulls(file_id, folder_id) = 1),
    CONSTRAINT drive_share_links_permission_chk CHECK (permission IN ('viewer', 'commenter', 'editor')),
    CONSTRAINT drive_share_links_downloads_chk CHECK (
        download_count >= 0 AND (max_downloads IS NULL OR (max_downloads > 0 AND download_count <= max_downloads)))
);

CREATE INDEX drive_share_links_file_id_idx ON drive_share_links (file_id);
CREATE INDEX drive_share_links_folder_id_idx ON drive_share_links (folder_id);
CREATE INDEX drive_share_links_created_by_idx ON drive_share_links (created_by);

CREATE TABLE drive_tags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(64) NOT NULL,
    color varchar(7),
    CONSTRAINT drive_tags_organization_name_key UNIQUE (organization_id, name),
    CONSTRAINT drive_tags_color_chk CHECK (color IS NULL OR color ~ '^#[0-9a-fA-F]{6}$')
);

CREATE TABLE drive_file_tags (
    file_id bigint NOT NULL REFERENCES drive_files (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES drive_tags (id) ON DELETE CASCADE,
    tagged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, tag_id)
);

CREATE INDEX drive_file_tags_tag_id_idx ON drive_file_tags (tag_id);

CREATE TABLE drive_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id bigint NOT NULL REFERENCES drive_files (id) ON DELETE CASCADE,
    parent_comment_id bigint REFERENCES drive_comments (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL,
    anchor jsonb,
    resolved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX drive_comments_file_created_idx ON drive_comments (file_id, created_at);
CREATE INDEX drive_comments_parent_comment_id_idx ON drive_comments (parent_comment_id);
CREATE INDEX drive_comments_author_id_idx ON drive_comments (author_id);

CREATE TABLE drive_favorites (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_id bigint NOT NULL REFERENCES drive_files (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, file_id)
);

CREATE INDEX drive_favorites_file_id_idx ON drive_favorites (file_id);

CREATE TABLE drive_activity (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    file_id bigint REFERENCES drive_files (id) ON DELETE CASCADE,
    folder_id bigint REFERENCES drive_folders (id) ON DELETE CASCADE,
    actor_id bigint REFERENCES users (id) ON DELETE SET NULL,
    action varchar(16) NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drive_activity_action_chk CHECK (action IN (
        'create', 'upload_version', 'rename', 'move', 'share', 'unshare', 'download', 'trash', 'restore')),
    CONSTRAINT drive_activity_target_chk CHECK (num_nonnulls(file_id, folder_id) >= 1)
);

CREATE INDEX drive_activity_organization_occurred_idx ON drive_activity (organization_id, occurred_at DESC);
CREATE INDEX drive_activity_file_occurred_idx ON drive_activity (file_id, occurred_at DESC);
CREATE INDEX drive_activity_folder_id_idx ON drive_activity (folder_id);
CREATE INDEX drive_activity_actor_id_idx ON drive_activity (actor_id);

CREATE TABLE drive_storage_quotas (
    organization_id bigint PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    quota_bytes bigint NOT NULL,
    used_bytes bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drive_storage_quotas_quota_chk CHECK (quota_bytes > 0),
    CONSTRAINT drive_storage_quotas_used_chk CHECK (used_bytes >= 0)
);

CREATE TRIGGER drive_folders_set_updated_at BEFORE UPDATE ON drive_folders FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER drive_files_set_updated_at BEFORE UPDATE ON drive_files FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER drive_comments_set_updated_at BEFORE UPDATE ON drive_comments FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER drive_storage_quotas_set_updated_at BEFORE UPDATE ON drive_storage_quotas FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
