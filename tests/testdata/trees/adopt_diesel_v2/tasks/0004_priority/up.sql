-- Added after the adoption: applied by `schemagate migrate`.
ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;
