-- 0006_accounts (SQLite): users, their sessions, personal API tokens, emailed one-time tokens
-- (verify / reset) and the auth events that rate limits count (failed logins, mail requests).
-- Secrets are never stored: sessions, API tokens and email tokens are kept as SHA-256 hex.
-- Times are milliseconds since the Unix epoch, UTC.
CREATE TABLE users (
  id                BIGINT  PRIMARY KEY,           -- random, positive; also the allocation owner id
  email             TEXT    NOT NULL UNIQUE,       -- trimmed and lower-cased
  name              TEXT    NOT NULL DEFAULT '',
  password_hash     TEXT    NOT NULL,              -- libsodium Argon2id string
  is_admin          INTEGER NOT NULL DEFAULT 0,
  disabled          INTEGER NOT NULL DEFAULT 0,
  email_verified_at BIGINT,
  root_id           TEXT    NOT NULL UNIQUE,       -- opaque id of the user's root folder
  created_at        BIGINT  NOT NULL,
  updated_at        BIGINT  NOT NULL
);

CREATE TABLE sessions (
  id           TEXT    PRIMARY KEY,                -- SHA-256 hex of the cookie value
  user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token   TEXT    NOT NULL,
  user_agent   TEXT    NOT NULL DEFAULT '',
  ip           TEXT    NOT NULL DEFAULT '',
  created_at   BIGINT  NOT NULL,
  last_seen_at BIGINT  NOT NULL,
  expires_at   BIGINT  NOT NULL                    -- absolute end (idle end: last_seen_at + idle)
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id           TEXT    PRIMARY KEY,                -- opaque random id (not the secret)
  user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL,
  token_hash   TEXT    NOT NULL UNIQUE,            -- SHA-256 hex of the secret
  created_at   BIGINT  NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE email_tokens (
  token_hash TEXT    PRIMARY KEY,                  -- SHA-256 hex of the emailed token
  user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose    TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset')),
  created_at BIGINT  NOT NULL,
  expires_at BIGINT  NOT NULL,
  used_at    BIGINT
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE auth_events (
  kind TEXT   NOT NULL,                            -- 'login_failure' | 'email_request'
  key  TEXT   NOT NULL,                            -- 'account:<email>' | 'ip:<address>'
  at   BIGINT NOT NULL
);
CREATE INDEX auth_events_key ON auth_events (kind, key, at);
