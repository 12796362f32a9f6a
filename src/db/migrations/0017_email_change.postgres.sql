-- 0017_email_change: a signed-in user's request to use another email address. The address
-- changes only when the link mailed to it is opened (token single use, expiring); a newer
-- request retires the older ones.
CREATE TABLE email_changes (
  token_hash TEXT    PRIMARY KEY,                  -- SHA-256 hex of the emailed token
  user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  new_email  TEXT    NOT NULL,                     -- trimmed and lower-cased
  created_at BIGINT  NOT NULL,
  expires_at BIGINT  NOT NULL,
  used_at    BIGINT
);
CREATE INDEX email_changes_user ON email_changes (user_id);
