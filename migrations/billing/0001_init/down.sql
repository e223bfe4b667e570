-- billing/0001_init (down)

DROP TRIGGER inventory_items_set_updated_at ON inventory_items;
DROP TRIGGER billing_invoices_set_updated_at ON billing_invoices;
DROP TRIGGER billing_subscriptions_set_updated_at ON billing_subscriptions;
DROP TRIGGER services_set_updated_at ON services;
DROP TRIGGER products_set_updated_at ON products;
DROP TRIGGER billing_accounts_set_updated_at ON billing_accounts;

DROP TABLE inventory_movements;
DROP TABLE inventory_items;
DROP TABLE inventory_locations;
DROP TABLE billing_coupons;
DROP TABLE billing_credit_notes;
DROP TABLE billing_payments;
DROP TABLE billing_payment_methods;
DROP TABLE billing_invoice_lines;
DROP TABLE billing_invoices;
DROP TABLE billing_usage_records;
DROP TABLE billing_subscription_items;
DROP TABLE billing_subscriptions;
DROP TABLE price_list_items;
DROP TABLE price_lists;
DROP TABLE services;
DROP TABLE products;
DROP TABLE billing_tax_rates;
DROP TABLE billing_accounts;

DROP TYPE billing_subscription_status;
DROP TYPE billing_invoice_status;
