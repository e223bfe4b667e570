-- schemagate:no-transaction
-- schemagate:requires catalog/2
CREATE INDEX CONCURRENTLY orders_customer_placed ON orders (customer_id, placed_at DESC);
CREATE INDEX CONCURRENTLY ON order_lines (sku, variant);
