-- analytics/0002_alert_events_and_refresh
-- Auto-refresh interval for dashboards and a history of alert firings.

ALTER TABLE dashboards
    ADD COLUMN refresh_interval_seconds integer;

-- dashboards is a small configuration table: validating inline is cheap.
-- schemagate:allow check-not-valid dashboards is a small configuration table and the new column is NULL in every row
ALTER TABLE dashboards
    ADD CONSTRAINT dashboards_refresh_interval_chk CHECK (refresh_interval_seconds IS NULL OR refresh_interval_seconds >= 30);

CREATE TABLE analytics_alert_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id bigint NOT NULL REFERENCES analytics_alerts (id) ON DELETE CASCADE,
    triggered_at timestamptz NOT NULL DEFAULT now(),
    observed_value numeric(20,6) NOT NULL,
    resolved_at timestamptz,
    notification_sent boolean NOT NULL DEFAULT false,
    CONSTRAINT analytics_alert_events_resolved_chk CHECK (resolved_at IS NULL OR resolved_at >= triggered_at)
);

CREATE INDEX analytics_alert_events_alert_triggered_idx ON analytics_alert_events (alert_id, triggered_at DESC);
CREATE INDEX analytics_alert_events_open_idx ON analytics_alert_events (alert_id) WHERE resolved_at IS NULL;
