-- 0010_billing (SQLite): plans and billing (issue 7). Money is BIGINT minor units (cents)
-- of the row's currency; times are milliseconds since the Unix epoch, UTC.
-- A user without a billing_accounts row is on the free plan with nothing owed.

-- One per user who ever had a paid plan: the plan, the current monthly period counted from
-- the first paid day (anchor_at; each period ends on the anchor's day of month, clamped), the
-- credit left by downgrades (used by the next invoices) and whether payments are overdue.
CREATE TABLE billing_accounts (
  user_id      BIGINT  PRIMARY KEY,
  plan_gb      BIGINT  NOT NULL CHECK (plan_gb > 0),
  currency     TEXT    NOT NULL,
  anchor_at    BIGINT,                             -- NULL on the free plan
  period_start BIGINT,                             -- NULL on the free plan
  period_end   BIGINT,                             -- NULL on the free plan
  balance      BIGINT  NOT NULL DEFAULT 0 CHECK (balance >= 0),
  state        TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'past_due')),
  created_at   BIGINT  NOT NULL,
  updated_at   BIGINT  NOT NULL
);

-- Invoices: issued at once for an upgrade (or the first paid month), later by the billing job at
-- each period end. total = subtotal - credit_applied. number is the printed "INV-000042".
CREATE TABLE invoices (
  id             TEXT    PRIMARY KEY,
  user_id        BIGINT  NOT NULL,
  seq            BIGINT  NOT NULL UNIQUE,
  number         TEXT    NOT NULL UNIQUE,
  status         TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'void')),
  currency       TEXT    NOT NULL,
  subtotal       BIGINT  NOT NULL,
  credit_applied BIGINT  NOT NULL DEFAULT 0 CHECK (credit_applied >= 0),
  total          BIGINT  NOT NULL,
  period_start   BIGINT  NOT NULL,
  period_end     BIGINT  NOT NULL,
  issued_at      BIGINT  NOT NULL,
  due_at         BIGINT  NOT NULL,
  paid_at        BIGINT                            -- NULL until paid
);
CREATE INDEX invoices_user ON invoices (user_id, issued_at, id);
CREATE INDEX invoices_status ON invoices (status, due_at);

-- An invoice's lines in order; a credit line has a negative amount.
CREATE TABLE invoice_lines (
  invoice_id  TEXT    NOT NULL REFERENCES invoices (id),
  position    BIGINT  NOT NULL,
  description TEXT    NOT NULL,
  size_gb     BIGINT  NOT NULL,
  from_at     BIGINT  NOT NULL,
  to_at       BIGINT  NOT NULL,
  amount      BIGINT  NOT NULL,
  PRIMARY KEY (invoice_id, position)
);

-- Payment provider webhook events already handled (POST /api/v1/billing/webhook): an id seen
-- before is a replay.
CREATE TABLE billing_events (
  type        TEXT    NOT NULL,
  received_at BIGINT  NOT NULL
);
