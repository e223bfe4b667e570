-- analytics/0001_init

CREATE TABLE dashboards (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title varchar(200) NOT NULL,
    description text,
    filters jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dashboards_organization_id_idx ON dashboards (organization_id);
CREATE INDEX dashboards_owner_id_idx ON dashboards (owner_id);
CREATE UNIQUE INDEX dashboards_one_default_key ON dashboards (organization_id) WHERE is_default;

CREATE TABLE dashboard_widgets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dashboard_id bigint NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    widget_type varchar(16) NOT NULL,
    title varchar(200),
    query jsonb NOT NULL DEFAULT '{}'::jsonb,
    options jsonb NOT NULL DEFAULT '{}'::jsonb,
    grid_x integer NOT NULL DEFAULT 0,
    grid_y integer NOT NULL DEFAULT 0,
    grid_w integer NOT NULL DEFAULT 4,
    grid_h integer NOT NULL DEFAULT 3,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dashboard_widgets_type_chk CHECK (widget_type IN ('line', 'bar', 'pie', 'table', 'metric', 'text', 'heatmap')),
    CONSTRAINT dashboard_widgets_grid_chk CHECK (grid_x >= 0 AND grid_y >= 0 AND grid_w BETWEEN 1 AND 12 AND grid_h >= 1)
);

CREATE INDEX dashboard_widgets_dashboard_id_idx ON dashboard_widgets (dashboard_id);

CREATE TABLE dashboard_shares (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dashboard_id bigint NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    shared_with_user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    public_token uuid,
    permission varchar(8) NOT NULL DEFAULT 'view',
    expires_at timestamptz,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dashboard_shares_permission_chk CHECK (permission IN ('view', 'edit')),
    CONSTRAINT dashboard_shares_target_chk CHECK (num_nonnulls(shared_with_user_id, public_token) = 1),
    CONSTRAINT dashboard_shares_public_view_only_chk CHECK (public_token IS NULL OR permission = 'view'),
    CONSTRAINT dashboard_shares_public_token_key UNIQUE (public_token),
    CONSTRAINT dashboard_shares_user_key UNIQUE (dashboard_id, shared_with_user_id)
);

CREATE INDEX dashboard_shares_shared_with_user_id_idx ON dashboard_shares (shared_with_user_id);
CREATE INDEX dashboard_shares_created_by_idx ON dashboard_shares (created_by);

CREATE TABLE dashboard_snapshots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dashboard_id bigint NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    data jsonb NOT NULL,
    taken_by bigint REFERENCES users (id) ON DELETE SET NULL,
    taken_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz
);

CREATE INDEX dashboard_snapshots_dashboard_taken_idx ON dashboard_snapshots (dashboard_id, taken_at DESC);
CREATE INDEX dashboard_snapshots_taken_by_idx ON dashboard_snapshots (taken_by);

CREATE TABLE analytics_data_sources (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    source_type varchar(16) NOT NULL,
    connection_ref text,
    config jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_data_sources_type_chk CHECK (source_type IN ('internal', 'postgres', 'bigquery', 'http', 'csv')),
    CONSTRAINT analytics_data_sources_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX analytics_data_sources_created_by_idx ON analytics_data_sources (created_by);

CREATE TABLE analytics_metrics (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    data_source_id bigint REFERENCES analytics_data_sources (id) ON DELETE SET NULL,
    metric_key varchar(100) NOT NULL,
    name varchar(200) NOT NULL,
    description text,
    unit varchar(32),
    aggregation varchar(8) NOT NULL DEFAULT 'sum',
    definition jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_metrics_aggregation_chk CHECK (aggregation IN ('sum', 'avg', 'count', 'min', 'max', 'last')),
    CONSTRAINT analytics_metrics_key_format_chk CHECK (metric_key ~ '^[a-z0-9_.]+$'),
    CONSTRAINT analytics_metrics_organization_key_key UNIQUE (organization_id, metric_key)
);

CREATE INDEX analytics_metrics_data_source_id_idx ON analytics_metrics (data_source_id);

CREATE TABLE analytics_metric_values (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    metric_id bigint NOT NULL REFERENCES analytics_metrics (id) ON DELETE CASCADE,
    granularity varchar(8) NOT NULL,
    bucket_start timestamptz NOT NULL,
    dimensions jsonb NOT NULL DEFAULT '{}'::jsonb,
    value numeric(20,6) NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_metric_values_granularity_chk CHECK (granularity IN ('minute', 'hour', 'day', 'week', 'month')),
    CONSTRAINT analytics_metric_values_bucket_key UNIQUE (metric_id, granularity, bucket_start, dimensions)
);

CREATE TABLE analytics_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    bot_id bigint REFERENCES bots (id) ON DELETE SET NULL,
    session_ref varchar(128),
    event_name varchar(150) NOT NULL,
    properties jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX analytics_events_organization_name_occurred_idx ON analytics_events (organization_id, event_name, occurred_at DESC);
CREATE INDEX analytics_events_user_id_idx ON analytics_events (user_id);
CREATE INDEX analytics_events_bot_id_idx ON analytics_events (bot_id);
CREATE INDEX analytics_events_occurred_at_brin_idx ON analytics_events USING brin (occurred_at);

CREATE TABLE analytics_reports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    dashboard_id bigint REFERENCES dashboards (id) ON DELETE SET NULL,
    name varchar(200) NOT NULL,
    definition jsonb NOT NULL DEFAULT '{}'::jsonb,
    format varchar(8) NOT NULL DEFAULT 'pdf',
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_reports_format_chk CHECK (format IN ('pdf', 'csv', 'xlsx')),
    CONSTRAINT analytics_reports_organization_name_key UNIQUE (organization_id, name)
);

CREATE INDEX analytics_reports_dashboard_id_idx ON analytics_reports (dashboard_id);
CREATE INDEX analytics_reports_created_by_idx ON analytics_reports (created_by);

CREATE TABLE analytics_report_schedules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id bigint NOT NULL REFERENCES analytics_reports (id) ON DELETE CASCADE,
    cron_expression varchar(120) NOT NULL,
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    recipients text[] NOT NULL,
    is_enabled boolean NOT NULL DEFAULT true,
    last_sent_at timestamptz,
    next_run_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_report_schedules_recipients_chk CHECK (cardinality(recipients) > 0)
);

CREATE INDEX analytics_report_schedules_report_id_idx ON analytics_report_schedules (report_id);
CREATE INDEX analytics_report_schedules_due_idx ON analytics_report_schedules (next_run_at) WHERE is_enabled;

CREATE TABLE analytics_alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    metric_id bigint NOT NULL REFERENCES analytics_metrics (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    comparator varchar(16) NOT NULL,
    threshold numeric(20,6) NOT NULL,
    window_minutes integer NOT NULL DEFAULT 60,
    notify jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_enabled boolean NOT NULL DEFAULT true,
    last_triggered_at timestamptz,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_alerts_comparator_chk CHECK (comparator IN ('above', 'below', 'change_pct')),
    CONSTRAINT analytics_alerts_window_chk CHECK (window_minutes > 0)
);

CREATE INDEX analytics_alerts_metric_id_idx ON analytics_alerts (metric_id);
CREATE INDEX analytics_alerts_created_by_idx ON analytics_alerts (created_by);

CREATE TRIGGER dashboards_set_updated_at BEFORE UPDATE ON dashboards FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER dashboard_widgets_set_updated_at BEFORE UPDATE ON dashboard_widgets FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER analytics_reports_set_updated_at BEFORE UPDATE ON analytics_reports FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
