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
