DROP VIEW pro_accounts;
