DROP TABLE sessions;
DROP TABLE accounts;
DROP TYPE account_state;
