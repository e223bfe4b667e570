ALTER TABLE customers DROP COLUMN last_order_id;
DROP TABLE order_lines;
DROP TABLE orders;
