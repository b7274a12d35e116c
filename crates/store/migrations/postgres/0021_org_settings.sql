-- An organization's settings and branding (PostgreSQL twin of
-- migrations/sqlite/0021_org_settings.sql): its accent colour and logo (shown on guest pages,
-- walls and in mail) and the guest settings new events start with. One row per organization,
-- made at its first change: no row means the product's defaults. The name stays on tenants.
CREATE TABLE org_settings (
    tenant_id                    uuid        NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- '#rrggbb', lower-case (checked in domain::AccentColour); NULL: the product's colour.
    accent_colour                text        CHECK (accent_colour IS NULL OR length(accent_colour) = 7),
    -- The blob key of the processed logo (a WebP of at most 256 px, its bytes' hash in the
    -- name, so the key doubles as the logo's ETag); NULL: no logo.
    logo_key                     text,
    default_moderation           text        NOT NULL CHECK (default_moderation IN ('publish', 'approve')),
    default_max_photos_per_guest integer     NOT NULL,
    default_max_file_mb          integer     NOT NULL,
    default_guest_name_required  boolean     NOT NULL,
    default_guest_visibility     text        NOT NULL CHECK (default_guest_visibility IN ('everyone', 'own')),
    default_guest_downloads      boolean     NOT NULL,
    updated_by                   uuid        REFERENCES users (id) ON DELETE SET NULL,
    updated_at                   timestamptz NOT NULL
);
ALTER TABLE org_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_settings
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
