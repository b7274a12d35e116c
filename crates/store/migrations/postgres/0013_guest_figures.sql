-- Each guest's figures, kept as changes commit (PostgreSQL twin of sqlite/0013_guest_figures.sql),
-- so the members' guests page reads one index range of guest rows per page, whatever the size
-- of the event: no count over the event's photos or reports per request.

-- Per guest: their photos (every status), those in the gallery, those waiting for approval,
-- and the open reports on their photos.
ALTER TABLE guests ADD COLUMN photos bigint NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN published bigint NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN waiting bigint NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN reports bigint NOT NULL DEFAULT 0;

-- Whose photo a report is about, copied from the photo when the report is made: a report
-- deleted with its photo (ON DELETE CASCADE) can no longer look the photo up.
ALTER TABLE reports ADD COLUMN guest_id uuid;

-- Guests per event, and how many of them are blocked: the event page's link to the list.
ALTER TABLE event_totals ADD COLUMN guests bigint NOT NULL DEFAULT 0;
ALTER TABLE event_totals ADD COLUMN blocked_guests bigint NOT NULL DEFAULT 0;

-- The list's order (newest first) as an index seek for each keyset page.
CREATE INDEX guests_by_joined ON guests (tenant_id, event_id, created_at, id);

-- Adds a photo to its guest's figures (delta 1) or takes it out (delta -1).
CREATE FUNCTION guest_figures_add(p photos, delta integer) RETURNS void LANGUAGE sql AS $$
    UPDATE guests SET photos = photos + delta,
        published = published + delta * (p.status = 'published')::int,
        waiting = waiting + delta * (p.status = 'pending_review')::int
    WHERE tenant_id = p.tenant_id AND id = p.guest_id
$$;

-- Its name sorts before photos_count (0011): PostgreSQL fires a row's triggers in name order,
-- so every change locks the guest row before the event's counter rows, as blocking does
-- (guest first, then their photos), and the two cannot deadlock.
CREATE FUNCTION guest_figures_photos() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.guest_id IS NOT NULL THEN
        PERFORM guest_figures_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.guest_id IS NOT NULL THEN
        PERFORM guest_figures_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guest_figures_photos AFTER INSERT OR DELETE OR UPDATE OF status, guest_id
    ON photos FOR EACH ROW EXECUTE FUNCTION guest_figures_photos();

CREATE FUNCTION guest_figures_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE guests SET reports = reports + 1
        WHERE tenant_id = NEW.tenant_id AND id = NEW.guest_id;
    ELSE
        UPDATE guests SET reports = reports - 1
        WHERE tenant_id = OLD.tenant_id AND id = OLD.guest_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guest_figures_reports AFTER INSERT OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION guest_figures_reports();

-- A guest enters the event's totals with an upsert and leaves with a plain UPDATE (a guest
-- deleted with their event must not insert a row for the event being deleted).
CREATE FUNCTION guest_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO event_totals (tenant_id, event_id, reactions, views, guests, blocked_guests)
        VALUES (NEW.tenant_id, NEW.event_id, 0, 0, 1, (NEW.blocked_at IS NOT NULL)::int)
        ON CONFLICT (tenant_id, event_id) DO UPDATE
            SET guests = event_totals.guests + 1,
                blocked_guests = event_totals.blocked_guests + excluded.blocked_guests;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE event_totals SET guests = guests - 1,
            blocked_guests = blocked_guests - (OLD.blocked_at IS NOT NULL)::int
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id;
    ELSIF (OLD.blocked_at IS NULL) <> (NEW.blocked_at IS NULL) THEN
        UPDATE event_totals
            SET blocked_guests = blocked_guests + (NEW.blocked_at IS NOT NULL)::int
                                                - (OLD.blocked_at IS NOT NULL)::int
        WHERE tenant_id = NEW.tenant_id AND event_id = NEW.event_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER guest_totals AFTER INSERT OR DELETE OR UPDATE OF blocked_at ON guests
    FOR EACH ROW EXECUTE FUNCTION guest_totals();

-- The figures for what is already there. RLS is forced on these tables, so even their owner
-- (who runs migrations) would see no rows: lift FORCE for the backfill, inside this
-- migration's transaction, and put it back straight after.
ALTER TABLE photos NO FORCE ROW LEVEL SECURITY;
ALTER TABLE reports NO FORCE ROW LEVEL SECURITY;
ALTER TABLE guests NO FORCE ROW LEVEL SECURITY;
ALTER TABLE event_totals NO FORCE ROW LEVEL SECURITY;
UPDATE reports r SET guest_id = p.guest_id
FROM photos p WHERE p.tenant_id = r.tenant_id AND p.id = r.photo_id;
UPDATE guests g SET
    photos = (SELECT count(*) FROM photos p
              WHERE p.tenant_id = g.tenant_id AND p.event_id = g.event_id AND p.guest_id = g.id),
    published = (SELECT count(*) FROM photos p
                 WHERE p.tenant_id = g.tenant_id AND p.event_id = g.event_id
                   AND p.guest_id = g.id AND p.status = 'published'),
    waiting = (SELECT count(*) FROM photos p
               WHERE p.tenant_id = g.tenant_id AND p.event_id = g.event_id
                 AND p.guest_id = g.id AND p.status = 'pending_review'),
    reports = (SELECT count(*) FROM reports r
               WHERE r.tenant_id = g.tenant_id AND r.guest_id = g.id);
INSERT INTO event_totals (tenant_id, event_id, reactions, views, guests, blocked_guests)
SELECT tenant_id, event_id, 0, 0, count(*), count(blocked_at)
FROM guests GROUP BY tenant_id, event_id
ON CONFLICT (tenant_id, event_id) DO UPDATE
    SET guests = excluded.guests, blocked_guests = excluded.blocked_guests;
ALTER TABLE photos FORCE ROW LEVEL SECURITY;
ALTER TABLE reports FORCE ROW LEVEL SECURITY;
ALTER TABLE guests FORCE ROW LEVEL SECURITY;
ALTER TABLE event_totals FORCE ROW LEVEL SECURITY;
