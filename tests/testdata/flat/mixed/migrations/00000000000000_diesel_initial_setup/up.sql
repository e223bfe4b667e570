-- Helpers every table uses: a trigger that keeps updated_at current, and a
-- function that installs it on a table named by a string.
CREATE OR REPLACE FUNCTION app_touch_updated_at() RETURNS trigger AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := current_timestamp;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION app_manage_updated_at(_tbl regclass) RETURNS void AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON %s
                    FOR EACH ROW EXECUTE PROCEDURE app_touch_updated_at()', _tbl);
END;
$$ LANGUAGE plpgsql;
