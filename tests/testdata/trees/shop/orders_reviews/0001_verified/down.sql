DROP TABLE review_purchases;
ALTER TABLE reviews DROP CONSTRAINT reviews_order_fk;
ALTER TABLE reviews DROP COLUMN order_id;
