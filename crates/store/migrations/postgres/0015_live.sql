-- The event feed and the projector walls (PostgreSQL twin of sqlite/0015_live.sql; docs/LIVE.md).

-- Per event: the last feed sequence number handed out, and whether its walls are blanked.
-- The feed's writers take the next number by updating this row in their own transaction: the
-- row lock orders the writers of one event, so messages commit in sequence order.
CREATE TABLE live_state (
    tenant_id    uuid     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id     uuid     NOT NULL,
    seq          bigint   NOT NULL,
    walls_blank  boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- The feed: one row per message, written in the transaction of the change it reports.
-- `audience` is a set of bits (1 members, 2 walls, 4 every guest, 8 the photo's own guest,
-- named by `guest_id`); `body` is the message's JSON without its seq.
CREATE TABLE feed (
    tenant_id   uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    uuid         NOT NULL,
    seq         bigint       NOT NULL,
    kind        text         NOT NULL,
    audience    integer      NOT NULL,
    guest_id    uuid,
    photo_id    uuid,
    body        text         NOT NULL,
    created_at  timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, seq),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
-- Retention: rows older than a day are deleted per event.
CREATE INDEX feed_by_time ON feed (tenant_id, event_id, created_at);

-- Projector walls: each opens from its own link (a token made from `link_nonce` with the
-- server's secret, found through wall_links), with its own settings.
CREATE TABLE walls (
    tenant_id      uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid         NOT NULL,
    event_id       uuid         NOT NULL,
    name           text         NOT NULL,
    link_nonce     text         NOT NULL,
    hold_seconds   integer      NOT NULL,
    slide_seconds  integer      NOT NULL,
    layout         text         NOT NULL CHECK (layout IN ('single', 'mosaic')),
    show_captions  boolean      NOT NULL,
    show_qr        boolean      NOT NULL,
    created_by     uuid         REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz  NOT NULL,
    updated_at     timestamptz  NOT NULL,
    revoked_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX walls_by_event ON walls (tenant_id, event_id, created_at);

-- Every token a wall has had, by its SHA-256. Deliberately outside RLS, like join_links: a
-- wall's link is looked up here before any tenant is known, and a row holds only ids and times.
CREATE TABLE wall_links (
    token_hash   text         NOT NULL PRIMARY KEY,
    tenant_id    uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    wall_id      uuid         NOT NULL,
    created_at   timestamptz  NOT NULL,
    replaced_at  timestamptz,
    FOREIGN KEY (tenant_id, wall_id) REFERENCES walls (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX wall_links_by_wall ON wall_links (tenant_id, wall_id);

-- "Not on the wall": a member keeps a published photo off the walls without hiding it.
ALTER TABLE photos ADD COLUMN off_wall boolean NOT NULL DEFAULT false;

ALTER TABLE live_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE live_state FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON live_state
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE feed ENABLE ROW LEVEL SECURITY;
ALTER TABLE feed FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON feed
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE walls ENABLE ROW LEVEL SECURITY;
ALTER TABLE walls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON walls
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
