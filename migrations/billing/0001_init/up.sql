-- billing/0001_init
-- Money columns are numeric(12,2) in the currency of the owning billing
-- account / price list. Quantities are numeric(12,3) / numeric(14,3).

CREATE TYPE billing_invoice_status AS ENUM ('draft', 'open', 'paid', 'void', 'uncollectible');

CREATE TYPE billing_subscription_status AS ENUM ('trialing', 'active', 'past_due', 'paused', 'cancelled');

CREATE TABLE billing_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    crm_account_id bigint REFERENCES crm_accounts (id) ON DELETE SET NULL,
    name varchar(300) NOT NULL,
    billing_email varchar(320) NOT NULL,
    currency varchar(3) NOT NULL DEFAULT 'USD',
    tax_id varchar(64),
    address jsonb NOT NULL DEFAULT '{}'::jsonb,
    payment_terms_days integer NOT NULL DEFAULT 30,
    balance numeric(12,2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_accounts_currency_chk CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT billing_accounts_terms_chk CHECK (payment_terms_days BETWEEN 0 AND 365)
);

CREATE INDEX billing_accounts_organization_id_idx ON billing_accounts (organization_id);
CREATE INDEX billing_accounts_crm_account_id_idx ON billing_accounts (crm_account_id);

CREATE TABLE billing_tax_rates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(100) NOT NULL,
    rate_percent numeric(6,3) NOT NULL,
    country_code varchar(2),
    region varchar(100),
    is_inclusive boolean NOT NULL DEFAULT false,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_tax_rates_rate_chk CHECK (rate_percent >= 0 AND rate_percent <= 100),
    CONSTRAINT billing_tax_rates_country_chk CHECK (country_code IS NULL OR country_code ~ '^[A-Z]{2}$'),
    CONSTRAINT billing_tax_rates_organization_name_key UNIQUE (organization_id, name)
);

CREATE TABLE products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sku varchar(64) NOT NULL,
    name varchar(300) NOT NULL,
    description text,
    unit varchar(32) NOT NULL DEFAULT 'unit',
    is_stockable boolean NOT NULL DEFAULT false,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_organization_sku_key UNIQUE (organization_id, sku)
);

CREATE TABLE services (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code varchar(64) NOT NULL,
    name varchar(300) NOT NULL,
    description text,
    hourly_rate numeric(12,2),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT services_hourly_rate_chk CHECK (hourly_rate IS NULL OR hourly_rate >= 0),
    CONSTRAINT services_organization_code_key UNIQUE (organization_id, code)
);

CREATE TABLE price_lists (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(200) NOT NULL,
    currency varchar(3) NOT NULL DEFAULT 'USD',
    valid_from date,
    valid_to date,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT price_lists_currency_chk CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT price_lists_validity_chk CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from),
    CONSTRAINT price_lists_organization_name_key UNIQUE (organization_id, name)
);

CREATE UNIQUE INDEX price_lists_one_default_per_currency_key ON price_lists (organization_id, currency) WHERE is_default;

-- Exactly one of product_id / service_id is set.
CREATE TABLE price_list_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    price_list_id bigint NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE,
    product_id bigint REFERENCES products (id) ON DELETE CASCADE,
    service_id bigint REFERENCES services (id) ON DELETE CASCADE,
    unit_price numeric(12,2) NOT NULL,
    min_quantity numeric(12,3) NOT NULL DEFAULT 1,
    CONSTRAINT price_list_items_target_chk CHECK (num_nonnulls(product_id, service_id) = 1),
    CONSTRAINT price_list_items_price_chk CHECK (unit_price >= 0),
    CONSTRAINT price_list_items_min_quantity_chk CHECK (min_quantity > 0)
);

CREATE UNIQUE INDEX price_list_items_product_tier_key ON price_list_items (price_list_id, product_id, min_quantity) WHERE product_id IS NOT NULL;
CREATE UNIQUE INDEX price_list_items_service_tier_key ON price_list_items (price_list_id, service_id, min_quantity) WHERE service_id IS NOT NULL;
CREATE INDEX price_list_items_price_list_id_idx ON price_list_items (price_list_id);
CREATE INDEX price_list_items_product_id_idx ON price_list_items (product_id);
CREATE INDEX price_list_items_service_id_idx ON price_list_items (service_id);

CREATE TABLE billing_subscriptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id bigint NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
    status billing_subscription_status NOT NULL DEFAULT 'active',
    billing_interval varchar(8) NOT NULL DEFAULT 'month',
    started_at timestamptz NOT NULL DEFAULT now(),
    current_period_start timestamptz NOT NULL,
    current_period_end timestamptz NOT NULL,
    trial_ends_at timestamptz,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    cancelled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_subscriptions_interval_chk CHECK (billing_interval IN ('month', 'quarter', 'year')),
    CONSTRAINT billing_subscriptions_period_chk CHECK (current_period_end > current_period_start),
    CONSTRAINT billing_subscriptions_cancelled_chk CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL)
);

CREATE INDEX billing_subscriptions_billing_account_id_idx ON billing_subscriptions (billing_account_id);
CREATE INDEX billing_subscriptions_renewal_idx ON billing_subscriptions (current_period_end) WHERE status IN ('trialing', 'active', 'past_due');

CREATE TABLE billing_subscription_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES billing_subscriptions (id) ON DELETE CASCADE,
    product_id bigint REFERENCES products (id) ON DELETE RESTRICT,
    service_id bigint REFERENCES services (id) ON DELETE RESTRICT,
    price_list_item_id bigint REFERENCES price_list_items (id) ON DELETE SET NULL,
    quantity numeric(12,3) NOT NULL DEFAULT 1,
    unit_price numeric(12,2) NOT NULL,
    CONSTRAINT billing_subscription_items_target_chk CHECK (num_nonnulls(product_id, service_id) = 1),
    CONSTRAINT billing_subscription_items_quantity_chk CHECK (quantity > 0),
    CONSTRAINT billing_subscription_items_price_chk CHECK (unit_price >= 0)
);

CREATE INDEX billing_subscription_items_subscription_id_idx ON billing_subscription_items (subscription_id);
CREATE INDEX billing_subscription_items_product_id_idx ON billing_subscription_items (product_id);
CREATE INDEX billing_subscription_items_service_id_idx ON billing_subscription_items (service_id);
CREATE INDEX billing_subscription_items_price_list_item_id_idx ON billing_subscription_items (price_list_item_id);

CREATE TABLE billing_usage_records (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_item_id bigint NOT NULL REFERENCES billing_subscription_items (id) ON DELETE CASCADE,
    quantity numeric(14,3) NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    idempotency_key varchar(100) NOT NULL,
    CONSTRAINT billing_usage_records_quantity_chk CHECK (quantity >= 0),
    CONSTRAINT billing_usage_records_idempotency_key UNIQUE (idempotency_key)
);

CREATE INDEX billing_usage_records_item_recorded_idx ON billing_usage_records (subscription_item_id, recorded_at);

-- Financial records: deleting a billing account with invoices is refused.
CREATE TABLE billing_invoices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id bigint NOT NULL REFERENCES billing_accounts (id) ON DELETE RESTRICT,
    subscription_id bigint REFERENCES billing_subscriptions (id) ON DELETE SET NULL,
    invoice_number varchar(32) NOT NULL,
    status billing_invoice_status NOT NULL DEFAULT 'draft',
    currency varchar(3) NOT NULL,
    issue_date date NOT NULL DEFAULT CURRENT_DATE,
    due_date date NOT NULL,
    subtotal numeric(12,2) NOT NULL DEFAULT 0,
    tax_total numeric(12,2) NOT NULL DEFAULT 0,
    total numeric(12,2) NOT NULL DEFAULT 0,
    amount_paid numeric(12,2) NOT NULL DEFAULT 0,
    notes text,
    paid_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_invoices_number_key UNIQUE (billing_account_id, invoice_number),
    CONSTRAINT billing_invoices_currency_chk CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT billing_invoices_dates_chk CHECK (due_date >= issue_date),
    CONSTRAINT billing_invoices_amounts_chk CHECK (subtotal >= 0 AND tax_total >= 0 AND total = subtotal + tax_total),
    CONSTRAINT billing_invoices_paid_chk CHECK (amount_paid >= 0 AND amount_paid <= total),
    CONSTRAINT billing_invoices_paid_status_chk CHECK (status <> 'paid' OR paid_at IS NOT NULL)
);

CREATE INDEX billing_invoices_subscription_id_idx ON billing_invoices (subscription_id);
CREATE INDEX billing_invoices_open_due_idx ON billing_invoices (due_date) WHERE status = 'open';

CREATE TABLE billing_invoice_lines (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id bigint NOT NULL REFERENCES billing_invoices (id) ON DELETE CASCADE,
    product_id bigint REFERENCES products (id) ON DELETE SET NULL,
    service_id bigint REFERENCES services (id) ON DELETE SET NULL,
    tax_rate_id bigint REFERENCES billing_tax_rates (id) ON DELETE SET NULL,
    description text NOT NULL,
    quantity numeric(12,3) NOT NULL DEFAULT 1,
    unit_price numeric(12,2) NOT NULL,
    line_total numeric(12,2) NOT NULL,
    sort_order integer NOT NULL DEFAULT 0,
    CONSTRAINT billing_invoice_lines_quantity_chk CHECK (quantity > 0)
);

CREATE INDEX billing_invoice_lines_invoice_sort_idx ON billing_invoice_lines (invoice_id, sort_order);
CREATE INDEX billing_invoice_lines_product_id_idx ON billing_invoice_lines (product_id);
CREATE INDEX billing_invoice_lines_service_id_idx ON billing_invoice_lines (service_id);
CREATE INDEX billing_invoice_lines_tax_rate_id_idx ON billing_invoice_lines (tax_rate_id);

CREATE TABLE billing_payment_methods (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id bigint NOT NULL REFERENCES billing_accounts (id) ON DELETE CASCADE,
    method_type varchar(16) NOT NULL,
    provider_ref varchar(255) NOT NULL,
    last4 varchar(4),
    expires_on date,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_payment_methods_type_chk CHECK (method_type IN ('card', 'bank_transfer', 'sepa_debit', 'paypal', 'other')),
    CONSTRAINT billing_payment_methods_last4_chk CHECK (last4 IS NULL OR last4 ~ '^[0-9]{4}$'),
    CONSTRAINT billing_payment_methods_provider_ref_key UNIQUE (provider_ref)
);

CREATE INDEX billing_payment_methods_billing_account_id_idx ON billing_payment_methods (billing_account_id);
CREATE UNIQUE INDEX billing_payment_methods_one_default_key ON billing_payment_methods (billing_account_id) WHERE is_default;

CREATE TABLE billing_payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id bigint NOT NULL REFERENCES billing_accounts (id) ON DELETE RESTRICT,
    invoice_id bigint REFERENCES billing_invoices (id) ON DELETE SET NULL,
    payment_method_id bigint REFERENCES billing_payment_methods (id) ON DELETE SET NULL,
    amount numeric(12,2) NOT NULL,
    currency varchar(3) NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'pending',
    provider_ref varchar(255),
    failure_reason text,
    paid_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_payments_amount_chk CHECK (amount > 0),
    CONSTRAINT billing_payments_currency_chk CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT billing_payments_status_chk CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    CONSTRAINT billing_payments_provider_ref_key UNIQUE (provider_ref)
);

CREATE INDEX billing_payments_account_created_idx ON billing_payments (billing_account_id, created_at DESC);
CREATE INDEX billing_payments_invoice_id_idx ON billing_payments (invoice_id);
CREATE INDEX billing_payments_payment_method_id_idx ON billing_payments (payment_method_id);

CREATE TABLE billing_credit_notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id bigint NOT NULL REFERENCES billing_invoices (id) ON DELETE RESTRICT,
    credit_number varchar(32) NOT NULL,
    amount numeric(12,2) NOT NULL,
    reason text,
    issued_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT billing_credit_notes_amount_chk CHECK (amount > 0),
    CONSTRAINT billing_credit_notes_number_key UNIQUE (invoice_id, credit_number)
);

CREATE INDEX billing_credit_notes_created_by_idx ON billing_credit_notes (created_by);

CREATE TABLE billing_coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code varchar(50) NOT NULL,
    percent_off numeric(5,2),
    amount_off numeric(12,2),
    valid_until timestamptz,
    max_redemptions integer,
    times_redeemed integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_coupons_discount_chk CHECK (num_nonnulls(percent_off, amount_off) = 1),
    CONSTRAINT billing_coupons_percent_chk CHECK (percent_off IS NULL OR (percent_off > 0 AND percent_off <= 100)),
    CONSTRAINT billing_coupons_amount_chk CHECK (amount_off IS NULL OR amount_off > 0),
    CONSTRAINT billing_coupons_redemptions_chk CHECK (
        times_redeemed >= 0 AND (max_redemptions IS NULL OR times_redeemed <= max_redemptions)),
    CONSTRAINT billing_coupons_organization_code_key UNIQUE (organization_id, code)
);

CREATE TABLE inventory_locations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code varchar(32) NOT NULL,
    name varchar(200) NOT NULL,
    address jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_active boolean NOT NULL DEFAULT true,
    CONSTRAINT inventory_locations_organization_code_key UNIQUE (organization_id, code)
);

CREATE TABLE inventory_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    location_id bigint NOT NULL REFERENCES inventory_locations (id) ON DELETE CASCADE,
    quantity_on_hand numeric(14,3) NOT NULL DEFAULT 0,
    reorder_level numeric(14,3),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inventory_items_quantity_chk CHECK (quantity_on_hand >= 0),
    CONSTRAINT inventory_items_reorder_chk CHECK (reorder_level IS NULL OR reorder_level >= 0),
    CONSTRAINT inventory_items_product_location_key UNIQUE (product_id, location_id)
);

CREATE INDEX inventory_items_location_id_idx ON inventory_items (location_id);

-- Stock ledger: an item with movements cannot be deleted.
CREATE TABLE inventory_movements (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES inventory_items (id) ON DELETE RESTRICT,
    movement_type varchar(16) NOT NULL,
    quantity numeric(14,3) NOT NULL,
    reference text,
    invoice_line_id bigint REFERENCES billing_invoice_lines (id) ON DELETE SET NULL,
    performed_by bigint REFERENCES users (id) ON DELETE SET NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inventory_movements_type_chk CHECK (movement_type IN ('receipt', 'issue', 'transfer_in', 'transfer_out', 'adjustment')),
    CONSTRAINT inventory_movements_quantity_chk CHECK (quantity <> 0)
);

CREATE INDEX inventory_movements_item_occurred_idx ON inventory_movements (item_id, occurred_at DESC);
CREATE INDEX inventory_movements_invoice_line_id_idx ON inventory_movements (invoice_line_id);
CREATE INDEX inventory_movements_performed_by_idx ON inventory_movements (performed_by);

CREATE TRIGGER billing_accounts_set_updated_at BEFORE UPDATE ON billing_accounts FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER services_set_updated_at BEFORE UPDATE ON services FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER billing_subscriptions_set_updated_at BEFORE UPDATE ON billing_subscriptions FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER billing_invoices_set_updated_at BEFORE UPDATE ON billing_invoices FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
CREATE TRIGGER inventory_items_set_updated_at BEFORE UPDATE ON inventory_items FOR EACH ROW EXECUTE FUNCTION core_set_updated_at();
