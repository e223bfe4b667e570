CREATE VIEW pro_accounts AS
    SELECT a.id, a.email
    FROM accounts a
    JOIN subscriptions s ON s.account_id = a.id
    JOIN plans p ON p.id = s.plan_id
    WHERE p.tier = 'pro';
