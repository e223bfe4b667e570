-- canvas/0001_init

CREATE TABLE canvases (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title varchar(300) NOT NULL DEFAULT 'Untitled canvas',
    width integer NOT NULL DEFAULT 1920,
    height integer NOT NULL DEFAULT 1080,
    background jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_template boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT canvases_size_chk CHECK (width > 0 AND height > 0)
);

CREATE INDEX canvases_organization_updated_idx ON canvases (organization_id, updated_at DESC);
CREATE INDEX canvases_owner_id_idx ON canvases (owner_id);

CREATE TABLE canvas_elements (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    canvas_id bigint NOT NULL REFERENCES canvases (id) ON DELETE CASCADE,
    element_type varchar(16) NOT NULL,
    props jsonb NOT NULL DEFAULT '{}'::jsonb,
    x numeric(10,2) NOT NULL DEFAULT 0,
    y numeric(10,2) NOT NULL DEFAULT 0,
    rotation numeric(6,2) NOT NULL DEFAULT 0,
    z_index integer NOT NULL DEFAULT 0,
    is_locked boolean NOT NULL DEFAULT false,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT canvas_elements_type_chk CHECK (element_type IN ('rect', 'ellipse', 'text', 'image', 'path', 'group', 'frame')),
    CONSTRAINT canvas_elements_rotation_chk CHECK (rotation > -360 AND rotation < 360)
);

CREATE INDEX canvas_elements_canvas_z_idx ON canvas_elements (canvas_id, z_index);
CREATE INDEX canvas_elements_created_by_idx ON canvas_elements (created_by);

CREATE TABLE canvas_versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    canvas_id bigint NOT NULL REFERENCES canvases (id) ON DELETE CASCADE,
    version_number integer NOT NULL,
    label varchar(200),
    snapshot jsonb NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT canvas_versions_number_chk CHECK (version_number > 0),
    CONSTRAINT canvas_versions_canvas_version_key UNIQUE (canvas_id, version_number)
);

CREATE INDEX canvas_versions_created_by_idx ON canvas_versions (created_by);

CREATE TABLE canvas_collaborators (
    canvas_id bigint NOT NULL REFERENCES canvases (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role varchar(16) NOT NULL DEFAULT 'editor',
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (canvas_id, user_id),
    CONSTRAINT canvas_collaborators_role_chk CHECK (role IN ('viewer', 'commenter', 'editor', 'owner'))
);

CREATE INDEX canvas_collaborators_user_id_idx ON canvas_collaborators (user_id);

CREATE TRIGGER canvases_set_updated_at BEFORE UPDATE ON canvases FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER canvas_elements_set_updated_at BEFORE UPDATE ON canvas_elements FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
