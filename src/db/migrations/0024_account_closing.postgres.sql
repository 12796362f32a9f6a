-- 0024_account_closing: when the deletion of an account began (DELETE /api/v1/me, `nimbus admin
-- user delete`). NULL: not being deleted. A deletion cut short (a process killed between the
-- first step, which disables the account, and the last, which deletes the row) is finished at
-- the next start of the server, and by running the delete again; it is no longer an ordinary
-- disabled account whose files are gone (QA pass 18).
ALTER TABLE users ADD COLUMN closing_at BIGINT;
