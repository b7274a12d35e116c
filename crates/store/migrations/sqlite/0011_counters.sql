-- Event figures kept as changes commit (SQLite twin of postgres/0011_counters.sql), so a gallery
-- page, the dashboard and the event page read a few counter rows instead of counting the
-- event's photos on every request. Triggers update them in the same transaction as the photo,
-- reaction or view that changed; the rows for existing data are filled in at the end.

-- Photos and their bytes per event and status.
CREATE TABLE event_photo_counts (
    tenant_id      BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id       BLOB    NOT NULL,
    status         TEXT    NOT NULL,
    photos         BIGINT  NOT NULL,
    storage_bytes  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, status),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- Photos per uploader and status: the gallery's "who" list (published only), the top
-- contributors and the number of contributors. `contributor` is who uploaded: `u:` a member,
-- `g:` a guest, `n:` only a name.
CREATE TABLE event_uploader_counts (
    tenant_id      BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id       BLOB    NOT NULL,
    status         TEXT    NOT NULL,
    contributor    TEXT    NOT NULL,
    uploader_name  TEXT    NOT NULL,
    photos         BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, status, contributor, uploader_name),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- Photos per UTC hour of upload (`2026-06-20T14`) and status: the dashboard's chart.
CREATE TABLE event_hour_counts (
    tenant_id   BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    BLOB    NOT NULL,
    status      TEXT    NOT NULL,
    hour        TEXT    NOT NULL,
    photos      BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, event_id, status, hour),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- Reactions and views per event.
CREATE TABLE event_totals (
    tenant_id   BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    BLOB    NOT NULL,
    reactions   BIGINT  NOT NULL,
    views       BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);

-- A photo enters its counters (insert, and the new side of an update) with an upsert, and
-- leaves them (delete, the old side of an update) with a plain UPDATE: a photo deleted with its
-- event must not insert a row for the event being deleted.
CREATE TRIGGER photos_count_insert AFTER INSERT ON photos BEGIN
    INSERT INTO event_photo_counts (tenant_id, event_id, status, photos, storage_bytes)
    VALUES (NEW.tenant_id, NEW.event_id, NEW.status, 1, NEW.storage_bytes)
    ON CONFLICT (tenant_id, event_id, status) DO UPDATE
        SET photos = photos + 1, storage_bytes = storage_bytes + excluded.storage_bytes;
    INSERT INTO event_uploader_counts (tenant_id, event_id, status, contributor, uploader_name, photos)
    VALUES (NEW.tenant_id, NEW.event_id, NEW.status,
        CASE WHEN NEW.uploaded_by IS NOT NULL THEN 'u:' || hex(NEW.uploaded_by)
             WHEN NEW.guest_id IS NOT NULL THEN 'g:' || hex(NEW.guest_id)
             ELSE 'n:' || NEW.uploader_name END,
        NEW.uploader_name, 1)
    ON CONFLICT (tenant_id, event_id, status, contributor, uploader_name) DO UPDATE
        SET photos = photos + 1;
    INSERT INTO event_hour_counts (tenant_id, event_id, status, hour, photos)
    VALUES (NEW.tenant_id, NEW.event_id, NEW.status, substr(NEW.created_at, 1, 13), 1)
    ON CONFLICT (tenant_id, event_id, status, hour) DO UPDATE SET photos = photos + 1;
END;

CREATE TRIGGER photos_count_delete AFTER DELETE ON photos BEGIN
    UPDATE event_photo_counts
        SET photos = photos - 1, storage_bytes = storage_bytes - OLD.storage_bytes
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id AND status = OLD.status;
    UPDATE event_uploader_counts SET photos = photos - 1
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id AND status = OLD.status
          AND uploader_name = OLD.uploader_name
          AND contributor = CASE WHEN OLD.uploaded_by IS NOT NULL THEN 'u:' || hex(OLD.uploaded_by)
                                 WHEN OLD.guest_id IS NOT NULL THEN 'g:' || hex(OLD.guest_id)
                                 ELSE 'n:' || OLD.uploader_name END;
    UPDATE event_hour_counts SET photos = photos - 1
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id AND status = OLD.status
          AND hour = substr(OLD.created_at, 1, 13);
END;

CREATE TRIGGER photos_count_update
AFTER UPDATE OF status, storage_bytes, uploaded_by, guest_id, uploader_name, created_at ON photos
BEGIN
    UPDATE event_photo_counts
        SET photos = photos - 1, storage_bytes = storage_bytes - OLD.storage_bytes
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id AND status = OLD.status;
    UPDATE event_uploader_counts SET photos = photos - 1
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id AND status = OLD.status
          AND uploader_name = OLD.uploader_name
          AND contributor = CASE WHEN OLD.uploaded_by IS NOT NULL THEN 'u:' || hex(OLD.uploaded_by)
                                 WHEN OLD.guest_id IS NOT NULL THEN 'g:' || hex(OLD.guest_id)
                                 ELSE 'n:' || OLD.uploader_name END;
    UPDATE event_hour_counts SET photos = photos - 1
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id AND status = OLD.status
          AND hour = substr(OLD.created_at, 1, 13);
    INSERT INTO event_photo_counts (tenant_id, event_id, status, photos, storage_bytes)
    VALUES (NEW.tenant_id, NEW.event_id, NEW.status, 1, NEW.storage_bytes)
    ON CONFLICT (tenant_id, event_id, status) DO UPDATE
        SET photos = photos + 1, storage_bytes = storage_bytes + excluded.storage_bytes;
    INSERT INTO event_uploader_counts (tenant_id, event_id, status, contributor, uploader_name, photos)
    VALUES (NEW.tenant_id, NEW.event_id, NEW.status,
        CASE WHEN NEW.uploaded_by IS NOT NULL THEN 'u:' || hex(NEW.uploaded_by)
             WHEN NEW.guest_id IS NOT NULL THEN 'g:' || hex(NEW.guest_id)
             ELSE 'n:' || NEW.uploader_name END,
        NEW.uploader_name, 1)
    ON CONFLICT (tenant_id, event_id, status, contributor, uploader_name) DO UPDATE
        SET photos = photos + 1;
    INSERT INTO event_hour_counts (tenant_id, event_id, status, hour, photos)
    VALUES (NEW.tenant_id, NEW.event_id, NEW.status, substr(NEW.created_at, 1, 13), 1)
    ON CONFLICT (tenant_id, event_id, status, hour) DO UPDATE SET photos = photos + 1;
END;

CREATE TRIGGER reactions_count_insert AFTER INSERT ON reactions BEGIN
    INSERT INTO event_totals (tenant_id, event_id, reactions, views)
    VALUES (NEW.tenant_id, NEW.event_id, 1, 0)
    ON CONFLICT (tenant_id, event_id) DO UPDATE SET reactions = reactions + 1;
END;
CREATE TRIGGER reactions_count_delete AFTER DELETE ON reactions BEGIN
    UPDATE event_totals SET reactions = reactions - 1
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id;
END;
CREATE TRIGGER photo_views_count_insert AFTER INSERT ON photo_views BEGIN
    INSERT INTO event_totals (tenant_id, event_id, reactions, views)
    VALUES (NEW.tenant_id, NEW.event_id, 0, 1)
    ON CONFLICT (tenant_id, event_id) DO UPDATE SET views = views + 1;
END;
CREATE TRIGGER photo_views_count_delete AFTER DELETE ON photo_views BEGIN
    UPDATE event_totals SET views = views - 1
        WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id;
END;

-- The rows for what is already there.
INSERT INTO event_photo_counts (tenant_id, event_id, status, photos, storage_bytes)
SELECT tenant_id, event_id, status, count(*), coalesce(sum(storage_bytes), 0)
FROM photos GROUP BY tenant_id, event_id, status;
INSERT INTO event_uploader_counts (tenant_id, event_id, status, contributor, uploader_name, photos)
SELECT tenant_id, event_id, status,
    CASE WHEN uploaded_by IS NOT NULL THEN 'u:' || hex(uploaded_by)
         WHEN guest_id IS NOT NULL THEN 'g:' || hex(guest_id)
         ELSE 'n:' || uploader_name END,
    uploader_name, count(*)
FROM photos GROUP BY 1, 2, 3, 4, 5;
INSERT INTO event_hour_counts (tenant_id, event_id, status, hour, photos)
SELECT tenant_id, event_id, status, substr(created_at, 1, 13), count(*)
FROM photos GROUP BY 1, 2, 3, 4;
INSERT INTO event_totals (tenant_id, event_id, reactions, views)
SELECT e.tenant_id, e.id,
    (SELECT count(*) FROM reactions r WHERE r.tenant_id = e.tenant_id AND r.event_id = e.id),
    (SELECT count(*) FROM photo_views v WHERE v.tenant_id = e.tenant_id AND v.event_id = e.id)
FROM events e;

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
