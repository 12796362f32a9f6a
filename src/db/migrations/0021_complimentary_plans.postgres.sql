-- 0021_complimentary_plans: a plan an admin gives without charge for as long as it is set (a
-- family member's space, a colleague's): the billing job starts its periods but invoices none,
-- and the user's own plan changes are refused until the admin ends it (issue 7, QA pass 15: an
-- admin's "not charged" plan was invoiced from the next period on).
ALTER TABLE billing_accounts ADD COLUMN complimentary INTEGER NOT NULL DEFAULT 0;
