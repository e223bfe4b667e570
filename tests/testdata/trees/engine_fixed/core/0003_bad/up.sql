CREATE TABLE half_done (id bigint PRIMARY KEY);

INSERT INTO half_done (id) VALUES (1);
INSERT INTO half_done (id) VALUES (2);
