CREATE INDEX CONCURRENTLY posts_author_idx ON posts (author_id);
