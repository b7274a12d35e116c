-- Moderation (SQLite twin of migrations/postgres/0006_moderation.sql). SQLite cannot change a
-- CHECK constraint in place, so the table is rebuilt with the same columns in the same order
-- (nothing references photos yet, so dropping the old table is safe inside the migration).
CREATE TABLE photos_new (
    tenant_id        BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB     NOT NULL,
    event_id         BLOB     NOT NULL,
    uploaded_by      BLOB     REFERENCES users (id) ON DELETE SET NULL,
    uploader_name    TEXT     NOT NULL,
    sha256           TEXT     NOT NULL,
    kind             TEXT     NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'heic')),
    original_key     TEXT     NOT NULL,
    original_bytes   BIGINT   NOT NULL,
    status           TEXT     NOT NULL CHECK (status IN ('processing', 'published', 'pending_review', 'failed', 'rejected', 'hidden')),
    failure          TEXT,
    width            INTEGER,
    height           INTEGER,
    taken_at_local   TEXT,
    taken_offset     TEXT,
    camera_make      TEXT,
    camera_model     TEXT,
    lens             TEXT,
    placeholder      TEXT,
    renditions       TEXT,
    storage_bytes    BIGINT   NOT NULL,
    created_at       DATETIME NOT NULL,
    processed_at     DATETIME,
    guest_id         BLOB,
    moderated_by     BLOB     REFERENCES users (id) ON DELETE SET NULL,
    moderated_at     DATETIME,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, event_id, sha256),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO photos_new (tenant_id, id, event_id, uploaded_by, uploader_name, sha256, kind,
    original_key, original_bytes, status, failure, width, height, taken_at_local, taken_offset,
    camera_make, camera_model, lens, placeholder, renditions, storage_bytes, created_at,
    processed_at, guest_id)
SELECT tenant_id, id, event_id, uploaded_by, uploader_name, sha256, kind, original_key,
    original_bytes, status, failure, width, height, taken_at_local, taken_offset, camera_make,
    camera_model, lens, placeholder, renditions, storage_bytes, created_at, processed_at, guest_id
FROM photos;
DROP TABLE photos;
ALTER TABLE photos_new RENAME TO photos;
CREATE INDEX photos_by_event ON photos (tenant_id, event_id, created_at, id);
CREATE INDEX photos_by_guest ON photos (tenant_id, event_id, guest_id, created_at);
CREATE INDEX audit_by_subject ON audit_log (tenant_id, subject, created_at);
