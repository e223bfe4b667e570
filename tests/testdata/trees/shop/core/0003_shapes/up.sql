-- Shapes the catalog must render as PostgreSQL does: interval field
-- restrictions, LIKE ... INCLUDING ALL (indexes renamed after the new
-- table), a table moved to another schema, mixed-case names.
CREATE TABLE shop.durations (
    id int PRIMARY KEY,
    a interval,
    b interval(3),
    c interval day to second(2),
    d interval year to month
);
CREATE TABLE address_archive (LIKE shop.addresses INCLUDING ALL);
ALTER TABLE address_archive SET SCHEMA shop;
CREATE TABLE "Tags" (
    "Label" text PRIMARY KEY,
    customer_id bigint REFERENCES customers
);
CREATE TABLE visits (
    id bigint,
    at date,
    customer_id bigint REFERENCES customers,
    kind "char",
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON visits (customer_id);
-- Attached with an index of its own: adopted, not created again.
CREATE TABLE visits_2025 (id bigint NOT NULL, at date NOT NULL, customer_id bigint, kind "char");
CREATE INDEX visits_2025_customer ON visits_2025 (customer_id);
ALTER TABLE visits ATTACH PARTITION visits_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE codes (code text, label text);
CREATE UNIQUE INDEX codes_code_idx ON codes (code);
ALTER TABLE codes ADD CONSTRAINT codes_pk PRIMARY KEY USING INDEX codes_code_idx;
