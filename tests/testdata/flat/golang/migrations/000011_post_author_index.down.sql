DROP INDEX CONCURRENTLY posts_author_idx;
