-- Lucky draws (SQLite twin of postgres/0018_draws.sql; docs/DRAW.md). 0016 is a gap.
--
-- A draw is set up while its entries are open (rules, tiers, manual entries, exclusions), then
-- closed: closing stores the entry list and the lock (rules in words, the list's hash, the seed
-- and its commitment). From then on the database itself keeps the record honest: triggers
-- refuse any change to the rules and setup, and the entries, picks and outcomes are
-- append-only. A refusal is RAISE(ABORT, 'draw_locked') (the store's StoreError::Locked).
--
-- Deleting an event or an organization still works: its draws go with it by ON DELETE CASCADE.
-- SQLite runs a cascade after deleting the parent row, so a trigger on a child sees its draw,
-- event or tenant already gone; the triggers refuse a delete only while the draw and its
-- tenant are both still there (a direct delete).

CREATE TABLE draws (
    tenant_id                BLOB         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                       BLOB         NOT NULL,
    event_id                 BLOB         NOT NULL,
    name                     TEXT         NOT NULL,
    rule_kind                TEXT         NOT NULL CHECK (rule_kind IN ('per_guest', 'per_photo')),
    rule_n                   INTEGER      NOT NULL CHECK (rule_n BETWEEN 1 AND 1000),
    exclude_earlier_winners  BOOLEAN      NOT NULL,
    mask_names               BOOLEAN      NOT NULL,
    closes_at                DATETIME,
    created_by               BLOB         REFERENCES users (id) ON DELETE SET NULL,
    created_at               DATETIME     NOT NULL,
    updated_at               DATETIME     NOT NULL,
    -- The lock: all five set together when the entries close, or none.
    closed_at                DATETIME,
    rules_text               TEXT,
    entry_list_hash          TEXT,
    commitment               TEXT,
    seed                     TEXT,
    phrase                   TEXT,
    phrase_at                DATETIME,
    finished_at              DATETIME,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE,
    CHECK ((closed_at IS NULL AND rules_text IS NULL AND entry_list_hash IS NULL
            AND commitment IS NULL AND seed IS NULL)
        OR (closed_at IS NOT NULL AND rules_text IS NOT NULL AND entry_list_hash IS NOT NULL
            AND commitment IS NOT NULL AND seed IS NOT NULL)),
    CHECK (finished_at IS NULL OR closed_at IS NOT NULL),
    CHECK (phrase_at IS NULL OR closed_at IS NOT NULL)
);
CREATE INDEX draws_by_event ON draws (tenant_id, event_id, created_at);

-- Prize tiers, drawn in position order. A prize photo deleted later only leaves the tier
-- without its picture. SQLite's SET NULL cannot null one column of a composite foreign key
-- (it would null tenant_id too), so there is no foreign key to photos here: the trigger
-- draw_tiers_photo_deleted below does the SET NULL (PostgreSQL has the foreign key).
CREATE TABLE draw_tiers (
    tenant_id  BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id    BLOB     NOT NULL,
    position   INTEGER  NOT NULL CHECK (position >= 1),
    name       TEXT     NOT NULL,
    winners    INTEGER  NOT NULL CHECK (winners >= 1),
    photo_id   BLOB,
    PRIMARY KEY (tenant_id, draw_id, position),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE
);
-- For the SET NULL when a photo is deleted.
CREATE INDEX draw_tiers_by_photo ON draw_tiers (tenant_id, photo_id);

-- Walk-ins entered by hand while the entries are open.
CREATE TABLE draw_manual_entries (
    tenant_id   BLOB         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB         NOT NULL,
    draw_id     BLOB         NOT NULL,
    name        TEXT         NOT NULL,
    note        TEXT,
    created_at  DATETIME     NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX draw_manual_entries_by_draw ON draw_manual_entries (tenant_id, draw_id, created_at);

-- Guests a member left out of one draw.
CREATE TABLE draw_exclusions (
    tenant_id  BLOB  NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id    BLOB  NOT NULL,
    guest_id   BLOB  NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, guest_id),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, guest_id) REFERENCES guests (tenant_id, id) ON DELETE CASCADE
);

-- The locked entry list, written when the entries close. No foreign key to guests or manual
-- entries on purpose: the list is the published record and must survive a guest being deleted
-- (the name is copied here for that reason too).
CREATE TABLE draw_entries (
    tenant_id        BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id          BLOB     NOT NULL,
    entry_id         TEXT     NOT NULL,
    weight           INTEGER  NOT NULL CHECK (weight >= 1),
    guest_id         BLOB,
    manual_entry_id  BLOB,
    name             TEXT     NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, entry_id),
    -- One entry per guest (several NULLs, the manual entries, are allowed).
    UNIQUE (tenant_id, draw_id, guest_id),
    CHECK ((guest_id IS NULL) <> (manual_entry_id IS NULL)),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE
);

-- The picks, in the order drawn. Nobody wins twice in one draw: one pick per entry.
CREATE TABLE draw_picks (
    tenant_id   BLOB         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id     BLOB         NOT NULL,
    seq         INTEGER      NOT NULL CHECK (seq >= 1),
    tier        INTEGER      NOT NULL CHECK (tier >= 1),
    round       INTEGER      NOT NULL CHECK (round >= 1),
    entry_id    TEXT         NOT NULL,
    created_at  DATETIME     NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, seq),
    UNIQUE (tenant_id, draw_id, tier, round),
    UNIQUE (tenant_id, draw_id, entry_id),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE,
    -- CASCADE (not NO ACTION) so that deleting a tenant, whose cascades reach the entries and
    -- the picks in no fixed order, never trips over a pick whose entry went first.
    FOREIGN KEY (tenant_id, draw_id, entry_id)
        REFERENCES draw_entries (tenant_id, draw_id, entry_id) ON DELETE CASCADE
);

-- What became of each pick, once.
CREATE TABLE draw_outcomes (
    tenant_id   BLOB         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id     BLOB         NOT NULL,
    seq         INTEGER      NOT NULL,
    outcome     TEXT         NOT NULL CHECK (outcome IN ('present', 'not_present')),
    created_at  DATETIME     NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, seq),
    FOREIGN KEY (tenant_id, draw_id, seq) REFERENCES draw_picks (tenant_id, draw_id, seq)
        ON DELETE CASCADE
);

-- A draw's candidates in name order (DrawRepo::candidates), read along the event's guests.
CREATE INDEX guests_by_name ON guests (tenant_id, event_id, name, id);

-- (b) A closed draw: only the stage phrase (once), the finish (once) and updated_at change;
-- created_by may only become NULL (its user was deleted). A closed draw is deleted only with
-- its event or tenant.
CREATE TRIGGER draws_lock_update BEFORE UPDATE ON draws
WHEN OLD.closed_at IS NOT NULL AND (
    (NEW.tenant_id, NEW.id, NEW.event_id, NEW.name, NEW.rule_kind, NEW.rule_n,
     NEW.exclude_earlier_winners, NEW.mask_names, NEW.closes_at, NEW.created_at,
     NEW.closed_at, NEW.rules_text, NEW.entry_list_hash, NEW.commitment, NEW.seed)
    IS NOT
    (OLD.tenant_id, OLD.id, OLD.event_id, OLD.name, OLD.rule_kind, OLD.rule_n,
     OLD.exclude_earlier_winners, OLD.mask_names, OLD.closes_at, OLD.created_at,
     OLD.closed_at, OLD.rules_text, OLD.entry_list_hash, OLD.commitment, OLD.seed)
    OR (NEW.created_by IS NOT OLD.created_by AND NEW.created_by IS NOT NULL)
    OR (OLD.phrase IS NOT NULL AND NEW.phrase IS NOT OLD.phrase)
    OR (OLD.phrase_at IS NOT NULL AND NEW.phrase_at IS NOT OLD.phrase_at)
    OR (OLD.finished_at IS NOT NULL AND NEW.finished_at IS NOT OLD.finished_at))
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draws_lock_delete BEFORE DELETE ON draws
WHEN OLD.closed_at IS NOT NULL
    AND EXISTS (SELECT 1 FROM events WHERE tenant_id = OLD.tenant_id AND id = OLD.event_id)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;

-- (c) Tiers: fixed once the draw closed, except that a deleted prize photo leaves the tier
-- without its picture.
CREATE TRIGGER draw_tiers_lock_insert BEFORE INSERT ON draw_tiers
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
             AND closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_tiers_lock_update BEFORE UPDATE ON draw_tiers
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id
             AND closed_at IS NOT NULL)
    AND NOT (NEW.photo_id IS NULL
             AND (NEW.tenant_id, NEW.draw_id, NEW.position, NEW.name, NEW.winners)
                 IS (OLD.tenant_id, OLD.draw_id, OLD.position, OLD.name, OLD.winners))
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_tiers_lock_delete BEFORE DELETE ON draw_tiers
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id
             AND closed_at IS NOT NULL)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
-- The SET NULL that a foreign key does on PostgreSQL.
CREATE TRIGGER draw_tiers_photo_deleted AFTER DELETE ON photos
BEGIN
    UPDATE draw_tiers SET photo_id = NULL WHERE tenant_id = OLD.tenant_id AND photo_id = OLD.id;
END;

-- (c) Manual entries: fixed once the draw closed.
CREATE TRIGGER draw_manual_entries_lock_insert BEFORE INSERT ON draw_manual_entries
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
             AND closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_manual_entries_lock_update BEFORE UPDATE ON draw_manual_entries
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id
             AND closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_manual_entries_lock_delete BEFORE DELETE ON draw_manual_entries
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id
             AND closed_at IS NOT NULL)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;

-- (c) Exclusions: fixed once the draw closed, except when their guest is deleted (cascade).
CREATE TRIGGER draw_exclusions_lock_insert BEFORE INSERT ON draw_exclusions
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
             AND closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_exclusions_lock_update BEFORE UPDATE ON draw_exclusions
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id
             AND closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_exclusions_lock_delete BEFORE DELETE ON draw_exclusions
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id
             AND closed_at IS NOT NULL)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
    AND EXISTS (SELECT 1 FROM guests WHERE tenant_id = OLD.tenant_id AND id = OLD.guest_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;

-- (a) Entries, picks and outcomes are never updated, and deleted only with their draw.
-- (d) Entries are written before the draw closes (closing inserts them, then sets closed_at).
CREATE TRIGGER draw_entries_insert BEFORE INSERT ON draw_entries
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
             AND closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_entries_no_update BEFORE UPDATE ON draw_entries
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_entries_no_delete BEFORE DELETE ON draw_entries
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;

-- (e) Picks and outcomes are written only while the draw runs: closed and not finished.

CREATE TRIGGER draw_picks_insert BEFORE INSERT ON draw_picks
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
             AND (closed_at IS NULL OR finished_at IS NOT NULL))
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_picks_no_update BEFORE UPDATE ON draw_picks
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_picks_no_delete BEFORE DELETE ON draw_picks
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;

CREATE TRIGGER draw_outcomes_insert BEFORE INSERT ON draw_outcomes
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
             AND (closed_at IS NULL OR finished_at IS NOT NULL))
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_outcomes_no_update BEFORE UPDATE ON draw_outcomes
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
CREATE TRIGGER draw_outcomes_no_delete BEFORE DELETE ON draw_outcomes
WHEN EXISTS (SELECT 1 FROM draws WHERE tenant_id = OLD.tenant_id AND id = OLD.draw_id)
    AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'draw_locked');
END;
