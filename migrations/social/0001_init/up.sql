-- social/0001_init

CREATE TYPE social_post_status AS ENUM ('draft', 'scheduled', 'publishing', 'published', 'failed');

CREATE TABLE social_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    platform varchar(16) NOT NULL,
    external_account_id varchar(255) NOT NULL,
    handle varchar(255) NOT NULL,
    display_name varchar(300),
    access_token_ref text,
    token_expires_at timestamptz,
    connected_by bigint REFERENCES users (id) ON DELETE SET NULL,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT social_accounts_platform_chk CHECK (platform IN ('twitter', 'facebook', 'instagram', 'linkedin', 'tiktok', 'youtube', 'mastodon')),
    CONSTRAINT social_accounts_external_key UNIQUE (organization_id, platform, external_account_id)
);

CREATE INDEX social_accounts_connected_by_idx ON social_accounts (connected_by);

CREATE TABLE social_campaigns (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    description text,
    starts_on date,
    ends_on date,
    budget numeric(12,2),
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT social_campaigns_dates_chk CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on),
    CONSTRAINT social_campaigns_budget_chk CHECK (budget IS NULL OR budget >= 0),
    CONSTRAINT social_campaigns_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX social_campaigns_created_by_idx ON social_campaigns (created_by);

CREATE TABLE social_posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    campaign_id bigint REFERENCES social_campaigns (id) ON DELETE SET NULL,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    drafted_by_bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    content text NOT NULL,
    status social_post_status NOT NULL DEFAULT 'draft',
    external_post_id varchar(255),
    permalink text,
    published_at timestamptz,
    error_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT social_posts_published_chk CHECK (status <> 'published' OR published_at IS NOT NULL),
    CONSTRAINT social_posts_external_key UNIQUE (account_id, external_post_id)
);

CREATE INDEX social_posts_organization_status_idx ON social_posts (organization_id, status);
CREATE INDEX social_posts_campaign_id_idx ON social_posts (campaign_id);
CREATE INDEX social_posts_author_id_idx ON social_posts (author_id);
CREATE INDEX social_posts_drafted_by_bot_id_idx ON social_posts (drafted_by_bot_id);

CREATE TABLE social_post_media (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    media_type varchar(16) NOT NULL,
    url text NOT NULL,
    alt_text text,
    sort_order smallint NOT NULL DEFAULT 0,
    CONSTRAINT social_post_media_type_chk CHECK (media_type IN ('image', 'video', 'gif', 'document')),
    CONSTRAINT social_post_media_order_key UNIQUE (post_id, sort_order)
);

CREATE TABLE social_schedules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    scheduled_for timestamptz NOT NULL,
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    status varchar(16) NOT NULL DEFAULT 'pending',
    attempts smallint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT social_schedules_status_chk CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
    CONSTRAINT social_schedules_attempts_chk CHECK (attempts >= 0)
);

CREATE INDEX social_schedules_post_id_idx ON social_schedules (post_id);
CREATE INDEX social_schedules_due_idx ON social_schedules (scheduled_for) WHERE status = 'pending';

CREATE TABLE social_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    parent_comment_id bigint REFERENCES social_comments (id) ON DELETE CASCADE,
    external_comment_id varchar(255) NOT NULL,
    author_handle varchar(255) NOT NULL,
    body text NOT NULL,
    is_hidden boolean NOT NULL DEFAULT false,
    replied_by bigint REFERENCES users (id) ON DELETE SET NULL,
    posted_at timestamptz NOT NULL,
    CONSTRAINT social_comments_external_key UNIQUE (post_id, external_comment_id)
);

CREATE INDEX social_comments_parent_comment_id_idx ON social_comments (parent_comment_id);
CREATE INDEX social_comments_replied_by_idx ON social_comments (replied_by);

CREATE TABLE social_reactions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    reaction_type varchar(32) NOT NULL,
    reaction_count integer NOT NULL DEFAULT 0,
    captured_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT social_reactions_count_chk CHECK (reaction_count >= 0),
    CONSTRAINT social_reactions_type_key UNIQUE (post_id, reaction_type)
);

CREATE TABLE social_mentions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    external_id varchar(255) NOT NULL,
    author_handle varchar(255) NOT NULL,
    content text NOT NULL,
    sentiment varchar(8),
    is_read boolean NOT NULL DEFAULT false,
    mentioned_at timestamptz NOT NULL,
    CONSTRAINT social_mentions_sentiment_chk CHECK (sentiment IS NULL OR sentiment IN ('positive', 'neutral', 'negative')),
    CONSTRAINT social_mentions_external_key UNIQUE (account_id, external_id)
);

CREATE INDEX social_mentions_unread_idx ON social_mentions (account_id, mentioned_at DESC) WHERE NOT is_read;

CREATE TABLE social_post_metrics (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    captured_at timestamptz NOT NULL DEFAULT now(),
    impressions bigint NOT NULL DEFAULT 0,
    clicks bigint NOT NULL DEFAULT 0,
    shares bigint NOT NULL DEFAULT 0,
    saves bigint NOT NULL DEFAULT 0,
    engagement_rate numeric(6,4),
    CONSTRAINT social_post_metrics_counts_chk CHECK (impressions >= 0 AND clicks >= 0 AND shares >= 0 AND saves >= 0),
    CONSTRAINT social_post_metrics_capture_key UNIQUE (post_id, captured_at)
);

CREATE TRIGGER social_accounts_set_updated_at BEFORE UPDATE ON social_accounts FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER social_posts_set_updated_at BEFORE UPDATE ON social_posts FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
