DROP INDEX CONCURRENTLY IF EXISTS order_lines_sku_variant_idx;
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_placed;
