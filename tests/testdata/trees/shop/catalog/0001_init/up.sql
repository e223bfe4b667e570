CREATE TYPE catalog_state AS ENUM ('draft', 'live', 'retired');
CREATE TABLE items (
    sku    text PRIMARY KEY,
    title  text NOT NULL,
    state  catalog_state NOT NULL DEFAULT 'draft',
    tags   text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE item_variants (
    sku      text NOT NULL REFERENCES items ON UPDATE CASCADE,
    variant  int NOT NULL,
    weight_g numeric(8),
    PRIMARY KEY (sku, variant)
);
