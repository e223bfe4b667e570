-- analytics/0001_init (down)

DROP TRIGGER analytics_reports_set_updated_at ON analytics_reports;
DROP TRIGGER dashboard_widgets_set_updated_at ON dashboard_widgets;
DROP TRIGGER dashboards_set_updated_at ON dashboards;

DROP TABLE analytics_alerts;
DROP TABLE analytics_report_schedules;
DROP TABLE analytics_reports;
DROP TABLE analytics_events;
DROP TABLE analytics_metric_values;
DROP TABLE analytics_metrics;
DROP TABLE analytics_data_sources;
DROP TABLE dashboard_snapshots;
DROP TABLE dashboard_shares;
DROP TABLE dashboard_widgets;
DROP TABLE dashboards;
