-- Written by hand after the import (no imported-from): adopt checks it
-- by the schema comparison only.
ALTER TABLE mail_messages ADD COLUMN read_at timestamp with time zone;
