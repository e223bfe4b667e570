DROP TABLE subscriptions;
DROP TABLE plans;
DROP TYPE plan_tier;
