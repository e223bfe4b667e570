-- analytics/0002_alert_events_and_refresh (down)

DROP TABLE analytics_alert_events;

ALTER TABLE dashboards DROP CONSTRAINT dashboards_refresh_interval_chk;

ALTER TABLE dashboards
    DROP COLUMN refresh_interval_seconds;
