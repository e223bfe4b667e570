-- goals/0001_init (down)

DROP TRIGGER okr_key_results_set_updated_at ON okr_key_results;
DROP TRIGGER okr_objectives_set_updated_at ON okr_objectives;

DROP TABLE okr_comments;
DROP TABLE okr_checkins;
DROP TABLE okr_key_result_tasks;
DROP TABLE okr_key_results;
DROP TABLE okr_objectives;
DROP TABLE okr_cycles;

DROP TYPE goals_metric_type;
