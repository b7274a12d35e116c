-- Notification mails (SQLite twin of migrations/postgres/0022_notifications.sql; no RLS here,
-- code scoping only): each member's choices per organization, and what was already reported.

-- One row per member who changed a choice or was mailed; a member without a row has the
-- defaults of their role (service::notifications::Preferences::default_for): a NULL choice
-- means the same, so a member promoted to admin gets the admins' defaults until they choose.
-- `last_digest_at` and `last_approvals_at` are the ends of the windows already reported (the
-- next mail covers what came after); the jobs move them with a compare-and-set in the same
-- transaction that queues the mail, so two workers or a retried job never send twice.
CREATE TABLE notification_settings (
    tenant_id          BLOB     NOT NULL,
    user_id            BLOB     NOT NULL,
    digest             TEXT     CHECK (digest IN ('off', 'hourly', 'daily')),
    approvals          TEXT     CHECK (approvals IN ('off', 'at_once', 'bundled')),
    draw_results       BOOLEAN,
    last_digest_at     DATETIME,
    last_approvals_at  DATETIME,
    updated_at         DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE
);

-- The digest counts photos by when they became visible (processed) in a window: an index
-- range over the window's photos only, whatever the size of the events.
CREATE INDEX photos_by_processed ON photos (tenant_id, processed_at);
-- Photos waiting for approval, across the organization's events (the approval mails).
CREATE INDEX photos_waiting ON photos (tenant_id, event_id) WHERE status = 'pending_review';
