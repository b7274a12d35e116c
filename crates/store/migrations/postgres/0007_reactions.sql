-- Reactions (PostgreSQL twin of migrations/sqlite/0007_reactions.sql): one of each kind per
-- person per photo. `reactor` is `g:GUEST_ID` or `u:USER_ID`.
CREATE TABLE reactions (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    uuid        NOT NULL,
    photo_id    uuid        NOT NULL,
    reactor     text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('heart', 'laugh', 'wow', 'clap', 'party')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, photo_id, reactor, kind),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX reactions_by_event ON reactions (tenant_id, event_id);

ALTER TABLE reactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE reactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reactions
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
