DROP TABLE posts;
DROP TABLE accounts;
