DROP TABLE shop.addresses;
DROP TABLE customers;
DROP SCHEMA shop;
