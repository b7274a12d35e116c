-- An organization's settings and branding: its accent colour and logo (shown on guest pages,
-- walls and in mail) and the guest settings new events start with. One row per organization,
-- made at its first change: no row means the product's defaults. The name stays on tenants.
CREATE TABLE org_settings (
    tenant_id                    BLOB      NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- '#rrggbb', lower-case (checked in domain::AccentColour); NULL: the product's colour.
    accent_colour                TEXT      CHECK (accent_colour IS NULL OR length(accent_colour) = 7),
    -- The blob key of the processed logo (a WebP of at most 256 px, its bytes' hash in the
    -- name, so the key doubles as the logo's ETag); NULL: no logo.
    logo_key                     TEXT,
    default_moderation           TEXT      NOT NULL CHECK (default_moderation IN ('publish', 'approve')),
    default_max_photos_per_guest INTEGER   NOT NULL,
    default_max_file_mb          INTEGER   NOT NULL,
    default_guest_name_required  BOOLEAN   NOT NULL,
    default_guest_visibility     TEXT      NOT NULL CHECK (default_guest_visibility IN ('everyone', 'own')),
    default_guest_downloads      BOOLEAN   NOT NULL,
    updated_by                   BLOB      REFERENCES users (id) ON DELETE SET NULL,
    updated_at                   DATETIME  NOT NULL
);
