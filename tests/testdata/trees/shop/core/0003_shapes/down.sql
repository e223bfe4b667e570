DROP TABLE codes;
DROP TABLE visits;
DROP TABLE "Tags";
DROP TABLE shop.address_archive;
DROP TABLE shop.durations;
