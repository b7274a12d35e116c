-- Guests' reports of photos (SQLite twin of migrations/postgres/0008_reports.sql).
CREATE TABLE reports (
    tenant_id   BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    BLOB     NOT NULL,
    photo_id    BLOB     NOT NULL,
    reporter    TEXT     NOT NULL,
    reason      TEXT     NOT NULL,
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, photo_id, reporter),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX reports_by_event ON reports (tenant_id, event_id);
