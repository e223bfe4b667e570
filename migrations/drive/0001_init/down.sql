-- drive/0001_init (down)

DROP TRIGGER drive_storage_quotas_set_updated_at ON drive_storage_quotas;
DROP TRIGGER drive_comments_set_updated_at ON drive_comments;
DROP TRIGGER drive_files_set_updated_at ON drive_files;
DROP TRIGGER drive_folders_set_updated_at ON drive_folders;

DROP TABLE drive_storage_quotas;
DROP TABLE drive_activity;
DROP TABLE drive_favorites;
DROP TABLE drive_comments;
DROP TABLE drive_file_tags;
DROP TABLE drive_tags;
DROP TABLE drive_share_links;
DROP TABLE drive_shares;
DROP TABLE drive_file_versions;
DROP TABLE drive_files;
DROP TABLE drive_folders;
