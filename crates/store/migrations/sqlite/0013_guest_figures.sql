-- Each guest's figures, kept as changes commit (SQLite twin of postgres/0013_guest_figures.sql),
-- so the members' guests page reads one index range of guest rows per page, whatever the size
-- of the event: no count over the event's photos or reports per request.

-- Per guest: their photos (every status), those in the gallery, those waiting for approval,
-- and the open reports on their photos.
ALTER TABLE guests ADD COLUMN photos BIGINT NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN published BIGINT NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN waiting BIGINT NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN reports BIGINT NOT NULL DEFAULT 0;

-- Whose photo a report is about, copied from the photo when the report is made: a report
-- deleted with its photo (ON DELETE CASCADE) can no longer look the photo up.
ALTER TABLE reports ADD COLUMN guest_id BLOB;

-- Guests per event, and how many of them are blocked: the event page's link to the list.
ALTER TABLE event_totals ADD COLUMN guests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE event_totals ADD COLUMN blocked_guests BIGINT NOT NULL DEFAULT 0;

-- The list's order (newest first) as an index seek for each keyset page.
CREATE INDEX guests_by_joined ON guests (tenant_id, event_id, created_at, id);

CREATE TRIGGER guest_figures_photo_insert AFTER INSERT ON photos
WHEN NEW.guest_id IS NOT NULL BEGIN
    UPDATE guests SET photos = photos + 1,
        published = published + (NEW.status = 'published'),
        waiting = waiting + (NEW.status = 'pending_review')
    WHERE tenant_id = NEW.tenant_id AND id = NEW.guest_id;
END;

CREATE TRIGGER guest_figures_photo_delete AFTER DELETE ON photos
WHEN OLD.guest_id IS NOT NULL BEGIN
    UPDATE guests SET photos = photos - 1,
        published = published - (OLD.status = 'published'),
        waiting = waiting - (OLD.status = 'pending_review')
    WHERE tenant_id = OLD.tenant_id AND id = OLD.guest_id;
END;

CREATE TRIGGER guest_figures_photo_update AFTER UPDATE OF status, guest_id ON photos BEGIN
    UPDATE guests SET photos = photos - 1,
        published = published - (OLD.status = 'published'),
        waiting = waiting - (OLD.status = 'pending_review')
    WHERE tenant_id = OLD.tenant_id AND id = OLD.guest_id;
    UPDATE guests SET photos = photos + 1,
        published = published + (NEW.status = 'published'),
        waiting = waiting + (NEW.status = 'pending_review')
    WHERE tenant_id = NEW.tenant_id AND id = NEW.guest_id;
END;

CREATE TRIGGER guest_figures_report_insert AFTER INSERT ON reports
WHEN NEW.guest_id IS NOT NULL BEGIN
    UPDATE guests SET reports = reports + 1
    WHERE tenant_id = NEW.tenant_id AND id = NEW.guest_id;
END;

CREATE TRIGGER guest_figures_report_delete AFTER DELETE ON reports
WHEN OLD.guest_id IS NOT NULL BEGIN
    UPDATE guests SET reports = reports - 1
    WHERE tenant_id = OLD.tenant_id AND id = OLD.guest_id;
END;

-- A guest enters the event's totals with an upsert and leaves with a plain UPDATE (a guest
-- deleted with their event must not insert a row for the event being deleted).
CREATE TRIGGER guest_totals_insert AFTER INSERT ON guests BEGIN
    INSERT INTO event_totals (tenant_id, event_id, reactions, views, guests, blocked_guests)
    VALUES (NEW.tenant_id, NEW.event_id, 0, 0, 1, NEW.blocked_at IS NOT NULL)
    ON CONFLICT (tenant_id, event_id) DO UPDATE
        SET guests = guests + 1, blocked_guests = blocked_guests + excluded.blocked_guests;
END;

CREATE TRIGGER guest_totals_delete AFTER DELETE ON guests BEGIN
    UPDATE event_totals SET guests = guests - 1,
        blocked_guests = blocked_guests - (OLD.blocked_at IS NOT NULL)
    WHERE tenant_id = OLD.tenant_id AND event_id = OLD.event_id;
END;

CREATE TRIGGER guest_totals_block AFTER UPDATE OF blocked_at ON guests
WHEN (OLD.blocked_at IS NULL) <> (NEW.blocked_at IS NULL) BEGIN
    UPDATE event_totals
        SET blocked_guests = blocked_guests + (NEW.blocked_at IS NOT NULL) - (OLD.blocked_at IS NOT NULL)
    WHERE tenant_id = NEW.tenant_id AND event_id = NEW.event_id;
END;

-- The figures for what is already there.
UPDATE reports SET guest_id = (
    SELECT p.guest_id FROM photos p WHERE p.tenant_id = reports.tenant_id AND p.id = reports.photo_id
);
UPDATE guests SET
    photos = (SELECT count(*) FROM photos p
              WHERE p.tenant_id = guests.tenant_id AND p.event_id = guests.event_id
                AND p.guest_id = guests.id),
    published = (SELECT count(*) FROM photos p
                 WHERE p.tenant_id = guests.tenant_id AND p.event_id = guests.event_id
                   AND p.guest_id = guests.id AND p.status = 'published'),
    waiting = (SELECT count(*) FROM photos p
               WHERE p.tenant_id = guests.tenant_id AND p.event_id = guests.event_id
                 AND p.guest_id = guests.id AND p.status = 'pending_review'),
    reports = (SELECT count(*) FROM reports r
               WHERE r.tenant_id = guests.tenant_id AND r.guest_id = guests.id);
INSERT INTO event_totals (tenant_id, event_id, reactions, views, guests, blocked_guests)
SELECT tenant_id, event_id, 0, 0, count(*), sum(blocked_at IS NOT NULL)
FROM guests WHERE true GROUP BY tenant_id, event_id
ON CONFLICT (tenant_id, event_id) DO UPDATE
    SET guests = excluded.guests, blocked_guests = excluded.blocked_guests;
