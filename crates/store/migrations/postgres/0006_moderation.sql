-- Moderation (PostgreSQL twin of migrations/sqlite/0006_moderation.sql): a member can reject a
-- photo waiting for approval, or hide a published one. Both are kept and can be undone, and
-- neither is ever shown to guests.
ALTER TABLE photos DROP CONSTRAINT photos_status_check;
ALTER TABLE photos ADD CONSTRAINT photos_status_check
    CHECK (status IN ('processing', 'published', 'pending_review', 'failed', 'rejected', 'hidden'));
ALTER TABLE photos ADD COLUMN moderated_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE photos ADD COLUMN moderated_at timestamptz;
CREATE INDEX audit_by_subject ON audit_log (tenant_id, subject, created_at);
