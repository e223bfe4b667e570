ALTER TABLE reviews ADD COLUMN order_id bigint;
ALTER TABLE reviews ADD CONSTRAINT reviews_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
CREATE TABLE review_purchases (
    review_id bigint PRIMARY KEY REFERENCES reviews ON DELETE CASCADE,
    order_id  bigint NOT NULL,
    line      int NOT NULL,
    FOREIGN KEY (order_id, line) REFERENCES order_lines
);
