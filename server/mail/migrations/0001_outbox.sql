-- Owned by the mail module: e-mail waiting to be sent. A message is queued in the same
-- transaction as what it tells about (so it is never lost, never sent for a change that
-- did not happen), then sent by the mail.send job with retries and backoff.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    to_address      TEXT NOT NULL,
    to_name         TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT,
    created_at      INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);
