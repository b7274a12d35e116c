-- A guest's own photos, newest first ("My photos" on the guest page): the index now ends in
-- the id as well, so it serves the whole ORDER BY created_at DESC, id DESC. Without it SQLite
-- walked the event's time index and looked at every photo of the event (213 ms at 100,000).
DROP INDEX photos_by_guest;
CREATE INDEX photos_by_guest ON photos (tenant_id, event_id, guest_id, created_at, id);
