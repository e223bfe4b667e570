UPDATE orders SET total = round(total, 2);
CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);
