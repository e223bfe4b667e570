DROP TABLE user_backup;
DROP TABLE user_emails;
DROP TABLE teams;
DROP TABLE users;
