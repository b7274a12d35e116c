-- Event figures kept as changes commit (PostgreSQL twin of sqlite/0011_counters.sql), so a
-- gallery page, the dashboard and the event page read a few counter rows instead of counting
-- the event's photos on every request. Triggers update them in the same transaction as the
-- photo, reaction or view that changed; the rows for existing data are filled in at the end.

-- Photos and their bytes per event and status.
CREATE TABLE event_photo_counts (
    tenant_id      uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id       uuid    NOT NULL,
    status         text    NOT NULL,
    photos         bigint  NOT NULL,
    storage_bytes  bigint  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, status),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- Photos per uploader and status: the gallery's "who" list (published only), the top
-- contributors and the number of contributors. `contributor` is who uploaded: `u:` a member,
-- `g:` a guest, `n:` only a name.
CREATE TABLE event_uploader_counts (
    tenant_id      uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id       uuid    NOT NULL,
    status         text    NOT NULL,
    contributor    text    NOT NULL,
    uploader_name  text    NOT NULL,
    photos         bigint  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, status, contributor, uploader_name),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- Photos per UTC hour of upload (`2026-06-20T14`) and status: the dashboard's chart.
CREATE TABLE event_hour_counts (
    tenant_id   uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    uuid    NOT NULL,
    status      text    NOT NULL,
    hour        text    NOT NULL,
    photos      bigint  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, status, hour),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- Reactions and views per event.
CREATE TABLE event_totals (
    tenant_id   uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    uuid    NOT NULL,
    reactions   bigint  NOT NULL,
    views       bigint  NOT NULL,
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE event_photo_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_photo_counts
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE event_uploader_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_uploader_counts
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE event_hour_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_hour_counts
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE event_totals ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_totals
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

CREATE FUNCTION photo_contributor(p photos) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p.uploaded_by IS NOT NULL THEN 'u:' || p.uploaded_by::text
                WHEN p.guest_id IS NOT NULL THEN 'g:' || p.guest_id::text
                ELSE 'n:' || p.uploader_name END
$$;

CREATE FUNCTION photo_hour(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')
$$;

-- Adds a photo to its counters (upserts), or takes it out (plain UPDATEs: a photo deleted with
-- its event must not insert a row for the event being deleted).
CREATE FUNCTION photo_counts_add(p photos, delta integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF delta > 0 THEN
        INSERT INTO event_photo_counts (tenant_id, event_id, status, photos, storage_bytes)
        VALUES (p.tenant_id, p.event_id, p.status, 1, p.storage_bytes)
        ON CONFLICT (tenant_id, event_id, status) DO UPDATE
            SET photos = event_photo_counts.photos + 1,
                storage_bytes = event_photo_counts.storage_bytes + excluded.storage_bytes;
        INSERT INTO event_uploader_counts (tenant_id, event_id, status, contributor, uploader_name, photos)
        VALUES (p.tenant_id, p.event_id, p.status, photo_contributor(p), p.uploader_name, 1)
        ON CONFLICT (tenant_id, event_id, status, contributor, uploader_name) DO UPDATE
            SET photos = event_uploader_counts.photos + 1;
        INSERT INTO event_hour_counts (tenant_id, event_id, status, hour, photos)
        VALUES (p.tenant_id, p.event_id, p.status, photo_hour(p.created_at), 1)
        ON CONFLICT (tenant_id, event_id, status, hour) DO UPDATE
            SET photos = event_hour_counts.photos + 1;
    ELSE
        UPDATE event_photo_counts
            SET photos = photos - 1, storage_bytes = storage_bytes - p.storage_bytes
            WHERE tenant_id = p.tenant_id AND event_id = p.event_id AND status = p.status;
        UPDATE event_uploader_counts SET photos = photos - 1
            WHERE tenant_id = p.tenant_id AND event_id = p.event_id AND status = p.status
              AND contributor = photo_contributor(p) AND uploader_name = p.uploader_name;
        UPDATE event_hour_counts SET photos = photos - 1
            WHERE tenant_id = p.tenant_id AND event_id = p.event_id AND status = p.status
              AND hour = photo_hour(p.created_at);
    END IF;
END
$$;

-- Counter rows are locked in the order of their status on every change, so two transactions
-- moving photos in opposite directions (hide and restore) cannot deadlock on them.
CREATE FUNCTION photos_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM photo_counts_add(NEW, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM photo_counts_add(OLD, -1);
    ELSIF OLD.status <= NEW.status THEN
        PERFORM photo_counts_add(OLD, -1);
        PERFORM photo_counts_add(NEW, 1);
    ELSE
        PERFORM photo_counts_add(NEW, 1);
        PERFORM photo_counts_add(OLD, -1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER photos_count_insert_delete AFTER INSERT OR DELETE ON photos
    FOR EACH ROW EXECUTE FUNCTION photos_count();
CREATE TRIGGER photos_count_update
    AFTER UPDATE OF status, storage_bytes, uploaded_by, guest_id, uploader_name, created_at ON photos
    FOR EACH ROW EXECUTE FUNCTION photos_count();

CREATE FUNCTION event_totals_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r integer := CASE WHEN TG_TABLE_NAME = 'reactions' THEN 1 ELSE 0 END;
    v integer := CASE WHEN TG_TABLE_NAME = 'photo_views' THEN 1 ELSE 0 END;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO event_totals (tenant_id, event_id, reactions, views)
        VALUES (NEW.tenant_id, NEW.event_id, r, v)
        ON CONFLICT (tenant_id, event_id) DO UPDATE
            SET reactions = event_totals.reactions + r, views = event_totals.views + v;
    ELSE
        UPDATE event_totals SET reactions = reactions - r, views = views - v
            WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reactions_count AFTER INSERT OR DELETE ON reactions
    FOR EACH ROW EXECUTE FUNCTION event_totals_count();
CREATE TRIGGER photo_views_count AFTER INSERT OR DELETE ON photo_views
    FOR EACH ROW EXECUTE FUNCTION event_totals_count();

-- The rows for what is already there. RLS is forced on these tables, so even their owner (who
-- runs migrations) would see no rows: lift FORCE for the backfill, inside this migration's
-- transaction, and put it back straight after.
ALTER TABLE photos NO FORCE ROW LEVEL SECURITY;
ALTER TABLE reactions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE photo_views NO FORCE ROW LEVEL SECURITY;
ALTER TABLE events NO FORCE ROW LEVEL SECURITY;
INSERT INTO event_photo_counts (tenant_id, event_id, status, photos, storage_bytes)
SELECT tenant_id, event_id, status, count(*), coalesce(sum(storage_bytes), 0)
FROM photos GROUP BY tenant_id, event_id, status;
INSERT INTO event_uploader_counts (tenant_id, event_id, status, contributor, uploader_name, photos)
SELECT tenant_id, event_id, status, photo_contributor(p), uploader_name, count(*)
FROM photos p GROUP BY 1, 2, 3, 4, 5;
INSERT INTO event_hour_counts (tenant_id, event_id, status, hour, photos)
SELECT tenant_id, event_id, status, photo_hour(created_at), count(*)
FROM photos GROUP BY 1, 2, 3, 4;
INSERT INTO event_totals (tenant_id, event_id, reactions, views)
SELECT e.tenant_id, e.id,
    (SELECT count(*) FROM reactions r WHERE r.tenant_id = e.tenant_id AND r.event_id = e.id),
    (SELECT count(*) FROM photo_views v WHERE v.tenant_id = e.tenant_id AND v.event_id = e.id)
FROM events e;
ALTER TABLE photos FORCE ROW LEVEL SECURITY;
ALTER TABLE reactions FORCE ROW LEVEL SECURITY;
ALTER TABLE photo_views FORCE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
ALTER TABLE event_photo_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE event_uploader_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE event_hour_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE event_totals FORCE ROW LEVEL SECURITY;

-- The gallery's orders and filters as index seeks on published photos: newest/oldest, one
-- uploader's, most reacted, and only those with reactions.
CREATE INDEX photos_gallery ON photos (tenant_id, event_id, status, created_at, id);
CREATE INDEX photos_gallery_by_uploader
    ON photos (tenant_id, event_id, status, uploader_name, created_at, id);
CREATE INDEX photos_gallery_by_reactions
    ON photos (tenant_id, event_id, status, reaction_count, created_at, id);
CREATE INDEX photos_gallery_reacted ON photos (tenant_id, event_id, created_at, id)
    WHERE status = 'published' AND reaction_count > 0;
DROP INDEX photos_by_reactions;
