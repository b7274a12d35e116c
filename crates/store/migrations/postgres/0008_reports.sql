-- Guests' reports of photos (PostgreSQL twin of migrations/sqlite/0008_reports.sql): one per
-- guest per photo, with a reason.
CREATE TABLE reports (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    uuid        NOT NULL,
    photo_id    uuid        NOT NULL,
    reporter    text        NOT NULL,
    reason      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, photo_id, reporter),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX reports_by_event ON reports (tenant_id, event_id);

ALTER TABLE reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE reports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reports
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
