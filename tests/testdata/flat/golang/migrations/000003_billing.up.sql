CREATE TYPE plan_tier AS ENUM ('free', 'pro');
CREATE TABLE plans (
    id serial PRIMARY KEY,
    tier plan_tier NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);
CREATE TABLE subscriptions (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    plan_id integer NOT NULL REFERENCES plans (id)
);
INSERT INTO plans (tier, price_cents) VALUES ('free', 0), ('pro', 900);
