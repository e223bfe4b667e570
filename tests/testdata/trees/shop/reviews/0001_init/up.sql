CREATE TABLE reviews (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL REFERENCES items (sku),
    customer_id bigint REFERENCES customers (id) ON DELETE SET NULL,
    stars       smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    body        text
);
