//! An organization's settings: its accent colour (checked here once, for pages, walls and
//! mail alike), its logo's limits, and the guest settings new events start with.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::{EventSettings, GuestVisibility, Moderation};

/// A colour as `#rrggbb` (stored lower-case). It goes into CSS on guest pages, walls and in
/// mail, so nothing but `#` and six hex digits ever passes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccentColour(String);

/// Why a colour was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a colour like #b4235a: # and six hex digits")]
pub struct BadColour;

impl AccentColour {
    /// Whether `s` is exactly `#` and six hex digits (either case).
    pub fn is_valid(s: &str) -> bool {
        s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// Parses `#rrggbb` (spaces around it are dropped); stored lower-case.
    pub fn parse(raw: &str) -> Result<Self, BadColour> {
        let s = raw.trim();
        if Self::is_valid(s) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(BadColour)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// White or near-black, whichever contrasts more with this colour (WCAG relative
    /// luminance), for text on a button of this colour.
    pub fn text_colour(&self) -> &'static str {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&self.0[i..i + 2], 16).unwrap_or(0)) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
        // Contrast with white: 1.05 / (l + 0.05); with #18181b (luminance ≈ 0.009): (l + 0.05) / 0.059.
        if 1.05 / (l + 0.05) >= (l + 0.05) / 0.059 {
            "#ffffff"
        } else {
            "#18181b"
        }
    }
}

impl TryFrom<String> for AccentColour {
    type Error = BadColour;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AccentColour> for String {
    fn from(c: AccentColour) -> String {
        c.0
    }
}

impl fmt::Display for AccentColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The largest logo file accepted (bytes): a logo is small; anything bigger is refused
/// before it is decoded.
pub const LOGO_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The logo's longest edge once processed (px); smaller logos are never upscaled.
pub const LOGO_MAX_EDGE: u32 = 256;

/// The guest settings a new event starts with (its form is filled with them; the API uses
/// them for what a request leaves out). Times and "uploads on" belong to each event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDefaults {
    pub moderation: Moderation,
    pub max_photos_per_guest: u32,
    pub max_file_mb: u32,
    pub guest_name_required: bool,
    pub guest_visibility: GuestVisibility,
    pub guest_downloads: bool,
}

impl Default for EventDefaults {
    /// The product's own defaults ([`EventSettings::default`]).
    fn default() -> Self {
        let s = EventSettings::default();
        Self {
            moderation: s.moderation,
            max_photos_per_guest: s.max_photos_per_guest,
            max_file_mb: s.max_file_mb,
            guest_name_required: s.guest_name_required,
            guest_visibility: s.guest_visibility,
            guest_downloads: s.guest_downloads,
        }
    }
}

impl EventDefaults {
    /// A new event's settings with these defaults.
    pub fn settings(&self) -> EventSettings {
        EventSettings {
            moderation: self.moderation,
            max_photos_per_guest: self.max_photos_per_guest,
            max_file_mb: self.max_file_mb,
            guest_name_required: self.guest_name_required,
            guest_visibility: self.guest_visibility,
            guest_downloads: self.guest_downloads,
            ..EventSettings::default()
        }
    }

    /// The limits an event has ([`crate::event::check_event_rules`]), on the field they
    /// belong to: (field, min, max).
    pub fn check(&self) -> Vec<(&'static str, u32, u32)> {
        let mut out = Vec::new();
        if !(1..=crate::event::MAX_PHOTOS_PER_GUEST).contains(&self.max_photos_per_guest) {
            out.push((
                "max_photos_per_guest",
                1,
                crate::event::MAX_PHOTOS_PER_GUEST,
            ));
        }
        if !(1..=crate::event::MAX_FILE_MB).contains(&self.max_file_mb) {
            out.push(("max_file_mb", 1, crate::event::MAX_FILE_MB));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_are_accents() {
        assert_eq!(
            AccentColour::parse(" #0A7b3C ").map(|c| c.0),
            Ok("#0a7b3c".to_owned())
        );
        for bad in [
            "red;background:url(x)",
            "#12345",
            "#1234567",
            "#12345g",
            "123456",
            "#12345\"",
            "",
            "#ééééé",
            "red",
        ] {
            assert_eq!(AccentColour::parse(bad), Err(BadColour), "{bad}");
            assert!(!AccentColour::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn text_on_the_accent_is_readable() {
        let on = |c: &str| AccentColour::parse(c).map(|c| c.text_colour());
        assert_eq!(on("#6d28d9"), Ok("#ffffff"));
        assert_eq!(on("#000000"), Ok("#ffffff"));
        assert_eq!(on("#ffff00"), Ok("#18181b"));
        assert_eq!(on("#ffffff"), Ok("#18181b"));
    }

    #[test]
    fn defaults_are_the_products_until_changed() {
        let d = EventDefaults::default();
        assert_eq!(d.settings(), EventSettings::default());
        assert!(d.check().is_empty());
        let own = EventDefaults {
            moderation: Moderation::Approve,
            max_photos_per_guest: 10,
            guest_visibility: GuestVisibility::Own,
            ..d
        };
        let s = own.settings();
        assert_eq!(s.moderation, Moderation::Approve);
        assert_eq!(s.max_photos_per_guest, 10);
        assert_eq!(s.guest_visibility, GuestVisibility::Own);
        assert!(s.uploads_enabled && s.upload_opens_at.is_none());
        let silly = EventDefaults {
            max_photos_per_guest: 0,
            max_file_mb: 999,
            ..d
        };
        assert_eq!(
            silly.check(),
            vec![("max_photos_per_guest", 1, 5000), ("max_file_mb", 1, 200)]
        );
    }
}
