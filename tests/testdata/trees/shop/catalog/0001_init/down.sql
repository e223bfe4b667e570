DROP TABLE item_variants;
DROP TABLE items;
DROP TYPE catalog_state;
