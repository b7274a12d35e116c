-- Notification mails (PostgreSQL twin of migrations/sqlite/0022_notifications.sql): each
-- member's choices per organization, and what was already reported to them.

-- One row per member who changed a choice or was mailed; a member without a row has the
-- defaults of their role (service::notifications::Preferences::default_for): a NULL choice
-- means the same, so a member promoted to admin gets the admins' defaults until they choose.
-- `last_digest_at` and `last_approvals_at` are the ends of the windows already reported (the
-- next mail covers what came after); the jobs move them with a compare-and-set in the same
-- transaction that queues the mail, so two workers or a retried job never send twice.
CREATE TABLE notification_settings (
    tenant_id          uuid        NOT NULL,
    user_id            uuid        NOT NULL,
    digest             text        CHECK (digest IN ('off', 'hourly', 'daily')),
    approvals          text        CHECK (approvals IN ('off', 'at_once', 'bundled')),
    draw_results       boolean,
    last_digest_at     timestamptz,
    last_approvals_at  timestamptz,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE
);
ALTER TABLE notification_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_settings
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

-- The digest counts photos by when they became visible (processed) in a window: an index
-- range over the window's photos only, whatever the size of the events.
CREATE INDEX photos_by_processed ON photos (tenant_id, processed_at);
-- Photos waiting for approval, across the organization's events (the approval mails).
CREATE INDEX photos_waiting ON photos (tenant_id, event_id) WHERE status = 'pending_review';
