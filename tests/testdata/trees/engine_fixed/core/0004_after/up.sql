CREATE TABLE after_bad (id bigint PRIMARY KEY);
