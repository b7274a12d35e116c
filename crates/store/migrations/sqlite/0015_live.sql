-- The event feed and the projector walls (SQLite twin of postgres/0015_live.sql; docs/LIVE.md).

-- Per event: the last feed sequence number handed out, and whether its walls are blanked.
-- The feed's writers take the next number by updating this row in their own transaction.
CREATE TABLE live_state (
    tenant_id    BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id     BLOB     NOT NULL,
    seq          BIGINT   NOT NULL,
    walls_blank  BOOLEAN  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- The feed: one row per message, written in the transaction of the change it reports.
-- `audience` is a set of bits (1 members, 2 walls, 4 every guest, 8 the photo's own guest,
-- named by `guest_id`); `body` is the message's JSON without its seq.
CREATE TABLE feed (
    tenant_id   BLOB      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    BLOB      NOT NULL,
    seq         BIGINT    NOT NULL,
    kind        TEXT      NOT NULL,
    audience    INTEGER   NOT NULL,
    guest_id    BLOB,
    photo_id    BLOB,
    body        TEXT      NOT NULL,
    created_at  DATETIME  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, seq),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
-- Retention: rows older than a day are deleted per event.
CREATE INDEX feed_by_time ON feed (tenant_id, event_id, created_at);

-- Projector walls: each opens from its own link (a token made from `link_nonce` with the
-- server's secret, found through wall_links), with its own settings.
CREATE TABLE walls (
    tenant_id      BLOB      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB      NOT NULL,
    event_id       BLOB      NOT NULL,
    name           TEXT      NOT NULL,
    link_nonce     TEXT      NOT NULL,
    hold_seconds   INTEGER   NOT NULL,
    slide_seconds  INTEGER   NOT NULL,
    layout         TEXT      NOT NULL CHECK (layout IN ('single', 'mosaic')),
    show_captions  BOOLEAN   NOT NULL,
    show_qr        BOOLEAN   NOT NULL,
    created_by     BLOB      REFERENCES users (id) ON DELETE SET NULL,
    created_at     DATETIME  NOT NULL,
    updated_at     DATETIME  NOT NULL,
    revoked_at     DATETIME,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX walls_by_event ON walls (tenant_id, event_id, created_at);

-- Every token a wall has had, by its SHA-256, looked up before any tenant is known (like
-- join_links): ids and times only.
CREATE TABLE wall_links (
    token_hash   TEXT      NOT NULL PRIMARY KEY,
    tenant_id    BLOB      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    wall_id      BLOB      NOT NULL,
    created_at   DATETIME  NOT NULL,
    replaced_at  DATETIME,
    FOREIGN KEY (tenant_id, wall_id) REFERENCES walls (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX wall_links_by_wall ON wall_links (tenant_id, wall_id);

-- "Not on the wall": a member keeps a published photo off the walls without hiding it.
ALTER TABLE photos ADD COLUMN off_wall BOOLEAN NOT NULL DEFAULT 0;
