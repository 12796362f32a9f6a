-- 0011_billing_events: the payment webhook events seen, keyed by the provider's event id (a
-- repeated id is a replay and changes nothing). 0010 created this table without its id column;
-- nothing has written to it yet, so it is made again.
DROP TABLE billing_events;
CREATE TABLE billing_events (
  id          TEXT    PRIMARY KEY,                 -- the provider's event id
  type        TEXT    NOT NULL,                    -- 'invoice.paid' | 'invoice.payment_failed' | ...
  received_at BIGINT  NOT NULL
);
