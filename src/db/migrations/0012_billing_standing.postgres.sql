-- 0012_billing_standing: what the payment webhook, the billing job and the usage warnings need
-- (issue 7). Times are milliseconds since the Unix epoch, UTC.

-- Since when the account is past due (NULL unless state = 'past_due'): an open invoice unpaid
-- billing.grace_days after its due date makes the account read-only until it is paid.
ALTER TABLE billing_accounts ADD COLUMN past_due_since BIGINT;

-- How an invoice was paid ('credit': by the balance when issued, 'provider': the payment
-- webhook, 'manual': `nimbus admin invoice mark-paid`); NULL until paid.
ALTER TABLE invoices ADD COLUMN paid_via TEXT;
-- The last failed payment attempt the provider reported (invoice.payment_failed); NULL if none.
ALTER TABLE invoices ADD COLUMN payment_failed_at BIGINT;
-- The provider's reference for the payment (the webhook event id, or the admin's note).
ALTER TABLE invoices ADD COLUMN payment_ref TEXT;

-- Usage warnings mailed (85, 90, 95 % of the plan): the highest threshold the user was told
-- about; lowered again when usage drops below it, so each threshold is mailed once per crossing.
CREATE TABLE usage_warnings (
  user_id   BIGINT  PRIMARY KEY,
  level     BIGINT  NOT NULL CHECK (level IN (0, 85, 90, 95)),
  warned_at BIGINT  NOT NULL
);
