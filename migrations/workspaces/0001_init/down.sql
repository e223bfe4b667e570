-- workspaces/0001_init (down)

DROP TRIGGER workspace_blocks_set_updated_at ON workspace_blocks;
DROP TRIGGER workspace_pages_set_updated_at ON workspace_pages;
DROP TRIGGER workspaces_set_updated_at ON workspaces;

DROP TABLE workspace_templates;
DROP TABLE workspace_comments;
DROP TABLE workspace_page_versions;
DROP TABLE workspace_blocks;
DROP TABLE workspace_pages;
DROP TABLE workspace_members;
DROP TABLE workspaces;
