-- 0005_mail_outbox (SQLite): the durable queue of outgoing mail. A row is inserted in the same
-- transaction as what caused the mail (sign-up, reset, share, alert) and delivered later by the
-- outbox sender with retry and exponential backoff. Times are milliseconds since the Unix epoch.
CREATE TABLE mail_outbox (
  id              INTEGER PRIMARY KEY,
  "to"            TEXT    NOT NULL,              -- one address, as given ("Ann <ann@example.com>")
  subject         TEXT    NOT NULL,
  text            TEXT    NOT NULL,
  html            TEXT    NOT NULL DEFAULT '',   -- '' for a text-only message
  message_id      TEXT    NOT NULL UNIQUE,       -- the Message-ID header, fixed at enqueue time
  state           TEXT    NOT NULL DEFAULT 'queued'
                          CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT  NOT NULL,              -- queued: when to try; sending: when the claim expires
  last_error      TEXT    NOT NULL DEFAULT '',
  created_at      BIGINT  NOT NULL,
  sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
