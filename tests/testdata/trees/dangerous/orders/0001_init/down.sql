ALTER TABLE accounts DROP COLUMN last_order_id;
DROP TABLE orders;
