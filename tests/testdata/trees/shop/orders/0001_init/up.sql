CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    placed_at   timestamp(3) NOT NULL,
    note        text
);
CREATE TABLE order_lines (
    order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
    line     int NOT NULL,
    sku      text NOT NULL,
    variant  int NOT NULL,
    qty      int NOT NULL DEFAULT 1,
    PRIMARY KEY (order_id, line),
    CONSTRAINT order_lines_variant_fk FOREIGN KEY (sku, variant) REFERENCES item_variants
);
ALTER TABLE customers ADD COLUMN last_order_id bigint REFERENCES orders (id) ON DELETE SET NULL;
