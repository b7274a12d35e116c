-- Events and their guest join links (SQLite twin of migrations/postgres/0003_events.sql).

CREATE TABLE events (
    tenant_id             BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    BLOB     NOT NULL,
    slug                  TEXT     NOT NULL,
    name                  TEXT     NOT NULL,
    venue                 TEXT     NOT NULL DEFAULT '',
    description           TEXT     NOT NULL DEFAULT '',
    time_zone             TEXT     NOT NULL,
    starts_at             DATETIME NOT NULL,
    ends_at               DATETIME NOT NULL,
    status                TEXT     NOT NULL CHECK (status IN ('draft', 'live', 'ended', 'archived')),
    uploads_enabled       BOOLEAN  NOT NULL,
    moderation            TEXT     NOT NULL CHECK (moderation IN ('publish', 'approve')),
    upload_opens_at       DATETIME,
    upload_closes_at      DATETIME,
    max_photos_per_guest  INTEGER  NOT NULL,
    max_file_mb           INTEGER  NOT NULL,
    guest_name_required   BOOLEAN  NOT NULL,
    guest_visibility      TEXT     NOT NULL CHECK (guest_visibility IN ('everyone', 'own')),
    guest_downloads       BOOLEAN  NOT NULL,
    -- Random; with the server's secret key it makes the join token (rotating replaces it).
    join_nonce            TEXT     NOT NULL,
    created_by            BLOB     REFERENCES users (id) ON DELETE SET NULL,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);
CREATE INDEX events_by_start ON events (tenant_id, starts_at);

-- Every join token an event has had, by its SHA-256: a guest's link is looked up here before any
-- tenant is known. A replaced token keeps its row (replaced_at set) so its page can say
-- "this link was replaced" instead of "not found".
CREATE TABLE join_links (
    token_hash   TEXT     NOT NULL PRIMARY KEY,
    tenant_id    BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id     BLOB     NOT NULL,
    created_at   DATETIME NOT NULL,
    replaced_at  DATETIME,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX join_links_by_event ON join_links (tenant_id, event_id);
