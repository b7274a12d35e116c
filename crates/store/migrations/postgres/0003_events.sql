-- Events and their guest join links (PostgreSQL twin of migrations/sqlite/0003_events.sql).

CREATE TABLE events (
    tenant_id             uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid        NOT NULL,
    slug                  text        NOT NULL,
    name                  text        NOT NULL,
    venue                 text        NOT NULL DEFAULT '',
    description           text        NOT NULL DEFAULT '',
    time_zone             text        NOT NULL,
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    status                text        NOT NULL CHECK (status IN ('draft', 'live', 'ended', 'archived')),
    uploads_enabled       boolean     NOT NULL,
    moderation            text        NOT NULL CHECK (moderation IN ('publish', 'approve')),
    upload_opens_at       timestamptz,
    upload_closes_at      timestamptz,
    max_photos_per_guest  integer     NOT NULL,
    max_file_mb           integer     NOT NULL,
    guest_name_required   boolean     NOT NULL,
    guest_visibility      text        NOT NULL CHECK (guest_visibility IN ('everyone', 'own')),
    guest_downloads       boolean     NOT NULL,
    -- Random; with the server's secret key it makes the join token (rotating replaces it).
    join_nonce            text        NOT NULL,
    created_by            uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);
CREATE INDEX events_by_start ON events (tenant_id, starts_at);

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

-- Every join token an event has had, by its SHA-256. Deliberately outside RLS, like sessions:
-- a guest's link is looked up here before any tenant is known, and a row holds nothing but ids
-- and times. The event itself is then read in its tenant's scope, under RLS.
CREATE TABLE join_links (
    token_hash   text        NOT NULL PRIMARY KEY,
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id     uuid        NOT NULL,
    created_at   timestamptz NOT NULL,
    replaced_at  timestamptz,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX join_links_by_event ON join_links (tenant_id, event_id);
