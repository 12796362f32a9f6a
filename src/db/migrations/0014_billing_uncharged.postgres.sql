-- 0014_billing_uncharged: the GB of an account's current plan that no invoice of its current
-- period charged (an admin set the plan without charge). A downgrade credits only GB that were
-- charged; a new period (invoiced in full by the billing job) sets it back to 0.
ALTER TABLE billing_accounts ADD COLUMN uncharged_gb BIGINT NOT NULL DEFAULT 0;
