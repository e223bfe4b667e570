-- social/0001_init (down)

DROP TRIGGER social_posts_set_updated_at ON social_posts;
DROP TRIGGER social_accounts_set_updated_at ON social_accounts;

DROP TABLE social_post_metrics;
DROP TABLE social_mentions;
DROP TABLE social_reactions;
DROP TABLE social_comments;
DROP TABLE social_schedules;
DROP TABLE social_post_media;
DROP TABLE social_posts;
DROP TABLE social_campaigns;
DROP TABLE social_accounts;

DROP TYPE social_post_status;
