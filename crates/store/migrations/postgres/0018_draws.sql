-- Lucky draws (PostgreSQL twin of sqlite/0018_draws.sql; docs/DRAW.md). 0016 is a gap.
--
-- A draw is set up while its entries are open (rules, tiers, manual entries, exclusions), then
-- closed: closing stores the entry list and the lock (rules in words, the list's hash, the seed
-- and its commitment). From then on the database itself keeps the record honest, whoever
-- connects: triggers refuse any change to the rules and setup, and the entries, picks and
-- outcomes are append-only. A refusal is SQLSTATE P0D01 with the message 'draw_locked' (the
-- store's StoreError::Locked).
--
-- Deleting an event or an organization still works: its draws go with it by ON DELETE CASCADE.
-- PostgreSQL runs a cascade after deleting the parent row, so a trigger on a child sees its
-- draw, event or tenant already gone; the triggers refuse a delete only while the draw and its
-- tenant are both still there (a direct delete).

CREATE TABLE draws (
    tenant_id                uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                       uuid         NOT NULL,
    event_id                 uuid         NOT NULL,
    name                     text         NOT NULL,
    rule_kind                text         NOT NULL CHECK (rule_kind IN ('per_guest', 'per_photo')),
    rule_n                   integer      NOT NULL CHECK (rule_n BETWEEN 1 AND 1000),
    exclude_earlier_winners  boolean      NOT NULL,
    mask_names               boolean      NOT NULL,
    closes_at                timestamptz,
    created_by               uuid         REFERENCES users (id) ON DELETE SET NULL,
    created_at               timestamptz  NOT NULL,
    updated_at               timestamptz  NOT NULL,
    -- The lock: all five set together when the entries close, or none.
    closed_at                timestamptz,
    rules_text               text,
    entry_list_hash          text,
    commitment               text,
    seed                     text,
    phrase                   text,
    phrase_at                timestamptz,
    finished_at              timestamptz,
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
-- without its picture (SET NULL of photo_id alone).
CREATE TABLE draw_tiers (
    tenant_id  uuid     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id    uuid     NOT NULL,
    position   integer  NOT NULL CHECK (position >= 1),
    name       text     NOT NULL,
    winners    integer  NOT NULL CHECK (winners >= 1),
    photo_id   uuid,
    PRIMARY KEY (tenant_id, draw_id, position),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id)
        ON DELETE SET NULL (photo_id)
);
-- For the SET NULL when a photo is deleted.
CREATE INDEX draw_tiers_by_photo ON draw_tiers (tenant_id, photo_id);

-- Walk-ins entered by hand while the entries are open.
CREATE TABLE draw_manual_entries (
    tenant_id   uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid         NOT NULL,
    draw_id     uuid         NOT NULL,
    name        text         NOT NULL,
    note        text,
    created_at  timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX draw_manual_entries_by_draw ON draw_manual_entries (tenant_id, draw_id, created_at);

-- Guests a member left out of one draw.
CREATE TABLE draw_exclusions (
    tenant_id  uuid  NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id    uuid  NOT NULL,
    guest_id   uuid  NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, guest_id),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, guest_id) REFERENCES guests (tenant_id, id) ON DELETE CASCADE
);

-- The locked entry list, written when the entries close. No foreign key to guests or manual
-- entries on purpose: the list is the published record and must survive a guest being deleted
-- (the name is copied here for that reason too).
CREATE TABLE draw_entries (
    tenant_id        uuid     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id          uuid     NOT NULL,
    entry_id         text     NOT NULL,
    weight           integer  NOT NULL CHECK (weight >= 1),
    guest_id         uuid,
    manual_entry_id  uuid,
    name             text     NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, entry_id),
    -- One entry per guest (several NULLs, the manual entries, are allowed).
    UNIQUE (tenant_id, draw_id, guest_id),
    CHECK ((guest_id IS NULL) <> (manual_entry_id IS NULL)),
    FOREIGN KEY (tenant_id, draw_id) REFERENCES draws (tenant_id, id) ON DELETE CASCADE
);

-- The picks, in the order drawn. Nobody wins twice in one draw: one pick per entry.
CREATE TABLE draw_picks (
    tenant_id   uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id     uuid         NOT NULL,
    seq         integer      NOT NULL CHECK (seq >= 1),
    tier        integer      NOT NULL CHECK (tier >= 1),
    round       integer      NOT NULL CHECK (round >= 1),
    entry_id    text         NOT NULL,
    created_at  timestamptz  NOT NULL,
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
    tenant_id   uuid         NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draw_id     uuid         NOT NULL,
    seq         integer      NOT NULL,
    outcome     text         NOT NULL CHECK (outcome IN ('present', 'not_present')),
    created_at  timestamptz  NOT NULL,
    PRIMARY KEY (tenant_id, draw_id, seq),
    FOREIGN KEY (tenant_id, draw_id, seq) REFERENCES draw_picks (tenant_id, draw_id, seq)
        ON DELETE CASCADE
);

-- A draw's candidates in name order (DrawRepo::candidates), read along the event's guests.
CREATE INDEX guests_by_name ON guests (tenant_id, event_id, name, id);

-- The guards. Volatile (the default) on purpose: each query sees what the statement, and a
-- cascade before it, has already deleted.

-- The draw and its tenant both still exist: a delete of a child row is direct, not a cascade.
CREATE FUNCTION draw_alive(t uuid, d uuid) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM draws WHERE tenant_id = t AND id = d)
       AND EXISTS (SELECT 1 FROM tenants WHERE id = t)
$$;

-- The draw is closed (and not being deleted with its tenant).
CREATE FUNCTION draw_closed(t uuid, d uuid) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM draws WHERE tenant_id = t AND id = d AND closed_at IS NOT NULL)
       AND EXISTS (SELECT 1 FROM tenants WHERE id = t)
$$;

CREATE FUNCTION draw_refuse() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'draw_locked' USING ERRCODE = 'P0D01',
        DETAIL = 'the lucky draw is locked: its entries have closed, and its entries, picks '
                 'and outcomes cannot be changed';
END
$$;

-- (b) A closed draw: only the stage phrase (once), the finish (once) and updated_at change;
-- created_by may only become NULL (its user was deleted). A closed draw is deleted only with
-- its event or tenant.
CREATE FUNCTION draws_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.closed_at IS NOT NULL
           AND EXISTS (SELECT 1 FROM events WHERE tenant_id = OLD.tenant_id AND id = OLD.event_id)
           AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id) THEN
            PERFORM draw_refuse();
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.closed_at IS NOT NULL AND (
        ROW(NEW.tenant_id, NEW.id, NEW.event_id, NEW.name, NEW.rule_kind, NEW.rule_n,
            NEW.exclude_earlier_winners, NEW.mask_names, NEW.closes_at, NEW.created_at,
            NEW.closed_at, NEW.rules_text, NEW.entry_list_hash, NEW.commitment, NEW.seed)
        IS DISTINCT FROM
        ROW(OLD.tenant_id, OLD.id, OLD.event_id, OLD.name, OLD.rule_kind, OLD.rule_n,
            OLD.exclude_earlier_winners, OLD.mask_names, OLD.closes_at, OLD.created_at,
            OLD.closed_at, OLD.rules_text, OLD.entry_list_hash, OLD.commitment, OLD.seed)
        OR (NEW.created_by IS DISTINCT FROM OLD.created_by AND NEW.created_by IS NOT NULL)
        OR (OLD.phrase IS NOT NULL AND NEW.phrase IS DISTINCT FROM OLD.phrase)
        OR (OLD.phrase_at IS NOT NULL AND NEW.phrase_at IS DISTINCT FROM OLD.phrase_at)
        OR (OLD.finished_at IS NOT NULL AND NEW.finished_at IS DISTINCT FROM OLD.finished_at)
    ) THEN
        PERFORM draw_refuse();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER draws_lock BEFORE UPDATE OR DELETE ON draws
    FOR EACH ROW EXECUTE FUNCTION draws_lock();

-- (c) Tiers: fixed once the draw closed, except that a deleted prize photo leaves the tier
-- without its picture.
CREATE FUNCTION draw_tiers_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF draw_closed(NEW.tenant_id, NEW.draw_id) THEN
            PERFORM draw_refuse();
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF draw_closed(OLD.tenant_id, OLD.draw_id)
           AND NOT (NEW.photo_id IS NULL
                    AND ROW(NEW.tenant_id, NEW.draw_id, NEW.position, NEW.name, NEW.winners)
                        IS NOT DISTINCT FROM
                        ROW(OLD.tenant_id, OLD.draw_id, OLD.position, OLD.name, OLD.winners)) THEN
            PERFORM draw_refuse();
        END IF;
        RETURN NEW;
    END IF;
    IF draw_closed(OLD.tenant_id, OLD.draw_id) THEN
        PERFORM draw_refuse();
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER draw_tiers_lock BEFORE INSERT OR UPDATE OR DELETE ON draw_tiers
    FOR EACH ROW EXECUTE FUNCTION draw_tiers_lock();

-- (c) Manual entries: fixed once the draw closed.
CREATE FUNCTION draw_manual_entries_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF draw_closed(NEW.tenant_id, NEW.draw_id) THEN
            PERFORM draw_refuse();
        END IF;
        RETURN NEW;
    END IF;
    IF draw_closed(OLD.tenant_id, OLD.draw_id) THEN
        PERFORM draw_refuse();
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER draw_manual_entries_lock BEFORE INSERT OR UPDATE OR DELETE ON draw_manual_entries
    FOR EACH ROW EXECUTE FUNCTION draw_manual_entries_lock();

-- (c) Exclusions: fixed once the draw closed, except when their guest is deleted (cascade).
CREATE FUNCTION draw_exclusions_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF draw_closed(NEW.tenant_id, NEW.draw_id) THEN
            PERFORM draw_refuse();
        END IF;
        RETURN NEW;
    END IF;
    IF draw_closed(OLD.tenant_id, OLD.draw_id)
       AND (TG_OP = 'UPDATE'
            OR EXISTS (SELECT 1 FROM guests WHERE tenant_id = OLD.tenant_id AND id = OLD.guest_id))
    THEN
        PERFORM draw_refuse();
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER draw_exclusions_lock BEFORE INSERT OR UPDATE OR DELETE ON draw_exclusions
    FOR EACH ROW EXECUTE FUNCTION draw_exclusions_lock();

-- (a) Entries, picks and outcomes are never updated, and deleted only with their draw.
CREATE FUNCTION draw_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT draw_alive(OLD.tenant_id, OLD.draw_id) THEN
        RETURN OLD;
    END IF;
    PERFORM draw_refuse();
    RETURN NULL;
END
$$;
CREATE TRIGGER draw_entries_append_only BEFORE UPDATE OR DELETE ON draw_entries
    FOR EACH ROW EXECUTE FUNCTION draw_records_append_only();
CREATE TRIGGER draw_picks_append_only BEFORE UPDATE OR DELETE ON draw_picks
    FOR EACH ROW EXECUTE FUNCTION draw_records_append_only();
CREATE TRIGGER draw_outcomes_append_only BEFORE UPDATE OR DELETE ON draw_outcomes
    FOR EACH ROW EXECUTE FUNCTION draw_records_append_only();

-- (d) Entries are written before the draw closes (closing inserts them, then sets closed_at).
-- Checked once per statement over the inserted rows: closing may insert 100,000 of them.
CREATE FUNCTION draw_entries_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN draws d
               ON d.tenant_id = n.tenant_id AND d.id = n.draw_id
               WHERE d.closed_at IS NOT NULL) THEN
        PERFORM draw_refuse();
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER draw_entries_insert AFTER INSERT ON draw_entries
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION draw_entries_insert();

-- (e) Picks and outcomes are written only while the draw runs: closed and not finished. A
-- missing draw is left to the foreign key.
CREATE FUNCTION draw_running_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM draws WHERE tenant_id = NEW.tenant_id AND id = NEW.draw_id
               AND (closed_at IS NULL OR finished_at IS NOT NULL)) THEN
        PERFORM draw_refuse();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER draw_picks_insert BEFORE INSERT ON draw_picks
    FOR EACH ROW EXECUTE FUNCTION draw_running_insert();
CREATE TRIGGER draw_outcomes_insert BEFORE INSERT ON draw_outcomes
    FOR EACH ROW EXECUTE FUNCTION draw_running_insert();

ALTER TABLE draws ENABLE ROW LEVEL SECURITY;
ALTER TABLE draws FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draws
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE draw_tiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_tiers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draw_tiers
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE draw_manual_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_manual_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draw_manual_entries
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE draw_exclusions ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_exclusions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draw_exclusions
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE draw_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draw_entries
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE draw_picks ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_picks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draw_picks
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE draw_outcomes ENABLE ROW LEVEL SECURITY;
ALTER TABLE draw_outcomes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON draw_outcomes
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
