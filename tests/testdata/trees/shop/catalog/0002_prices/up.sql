CREATE TABLE prices (
    id       serial PRIMARY KEY,
    sku      text NOT NULL,
    variant  int NOT NULL,
    amount   numeric(12, 2) NOT NULL CHECK (amount >= 0),
    valid    tstzrange,
    FOREIGN KEY (sku, variant) REFERENCES item_variants (sku, variant) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX prices_one_open ON prices (sku, variant) WHERE upper_inf(valid);
