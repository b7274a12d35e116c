//! Photos: where one is in its life, from upload to the gallery.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{EventId, GuestId, GuestVisibility, ParseError};

/// A photo's state. `Processing` until its renditions exist; then `Published` or
/// `PendingReview` by the event's moderation setting; `Failed` when it cannot be decoded (the
/// original is kept, and the host sees why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    Processing,
    Published,
    PendingReview,
    Failed,
    /// A member turned it down while it waited for approval (kept; can be undone).
    Rejected,
    /// A member took a published photo out of the gallery (kept; can be undone).
    Hidden,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 6] = [
        Self::Processing,
        Self::Published,
        Self::PendingReview,
        Self::Failed,
        Self::Rejected,
        Self::Hidden,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Published => "published",
            Self::PendingReview => "pending_review",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Hidden => "hidden",
        }
    }
}

/// What a member does to a photo from the moderation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationAction {
    Approve,
    Reject,
    Hide,
    /// Undo a rejection or a hiding: back in the gallery.
    Restore,
    /// Keep a reported photo in the gallery (the reports are settled).
    Keep,
}

impl ModerationAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Hide => "hide",
            Self::Restore => "restore",
            Self::Keep => "keep",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Approve,
            Self::Reject,
            Self::Hide,
            Self::Restore,
            Self::Keep,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// The statuses this action applies to, and the status it leads to.
    pub const fn transition(self) -> (&'static [PhotoStatus], PhotoStatus) {
        match self {
            Self::Approve => (&[PhotoStatus::PendingReview], PhotoStatus::Published),
            Self::Reject => (&[PhotoStatus::PendingReview], PhotoStatus::Rejected),
            Self::Hide => (&[PhotoStatus::Published], PhotoStatus::Hidden),
            Self::Restore => (
                &[PhotoStatus::Rejected, PhotoStatus::Hidden],
                PhotoStatus::Published,
            ),
            Self::Keep => (
                &[PhotoStatus::Published, PhotoStatus::PendingReview],
                PhotoStatus::Published,
            ),
        }
    }
}

/// What decides whether a guest may see a photo: whose event and whose photo it is, and where
/// it is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoFacts {
    pub event: EventId,
    pub guest: Option<GuestId>,
    pub status: PhotoStatus,
}

/// How much of a photo a guest may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestSight {
    /// Nothing: not even that it exists (another event, another guest's photo in a drop box,
    /// anything waiting for approval, rejected, hidden or held after reports).
    None,
    /// Their own photo, in whatever state it is (they see "waiting for approval" and why one
    /// failed), but not in the gallery yet.
    Own,
    /// In the gallery: published, and the event shows it to this guest.
    Gallery,
}

impl GuestSight {
    /// Seen at all (My photos or the gallery).
    pub fn any(self) -> bool {
        self != GuestSight::None
    }

    /// Seen in the gallery: what may be reacted to, reported, viewed and downloaded.
    pub fn in_gallery(self) -> bool {
        self == GuestSight::Gallery
    }
}

/// The one rule for guests: a guest of `event` sees their own photos, and the published photos
/// of others only when the event shows everyone's photos to guests.
pub fn guest_sight(
    guest: GuestId,
    event: EventId,
    visibility: GuestVisibility,
    photo: PhotoFacts,
) -> GuestSight {
    if photo.event != event {
        return GuestSight::None;
    }
    let own = photo.guest == Some(guest);
    let published = photo.status == PhotoStatus::Published;
    match (own, published, visibility) {
        (true, true, _) | (false, true, GuestVisibility::Everyone) => GuestSight::Gallery,
        (true, false, _) => GuestSight::Own,
        _ => GuestSight::None,
    }
}

impl fmt::Display for PhotoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PhotoStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(ParseError::UnknownChoice)
    }
}

/// The kinds people can react to a photo with, in display order.
pub const REACTION_KINDS: [&str; 5] = ["heart", "laugh", "wow", "clap", "party"];

/// How the gallery is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GallerySort {
    #[default]
    Newest,
    Oldest,
    MostReacted,
}

impl GallerySort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "newest" => Some(Self::Newest),
            "oldest" => Some(Self::Oldest),
            "reacted" => Some(Self::MostReacted),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::MostReacted => "reacted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guest_sees_own_photos_and_only_the_published_of_others() {
        let (me, other, event) = (GuestId::new(), GuestId::new(), EventId::new());
        let facts = |guest, status| PhotoFacts {
            event,
            guest: Some(guest),
            status,
        };
        for vis in [GuestVisibility::Everyone, GuestVisibility::Own] {
            for status in PhotoStatus::ALL {
                let mine = guest_sight(me, event, vis, facts(me, status));
                let expected = if status == PhotoStatus::Published {
                    GuestSight::Gallery
                } else {
                    GuestSight::Own
                };
                assert_eq!(mine, expected, "{vis:?} own {status}");
                let theirs = guest_sight(me, event, vis, facts(other, status));
                let expected =
                    if status == PhotoStatus::Published && vis == GuestVisibility::Everyone {
                        GuestSight::Gallery
                    } else {
                        GuestSight::None
                    };
                assert_eq!(theirs, expected, "{vis:?} other's {status}");
            }
        }
        let elsewhere = PhotoFacts {
            event: EventId::new(),
            guest: Some(me),
            status: PhotoStatus::Published,
        };
        assert_eq!(
            guest_sight(me, event, GuestVisibility::Everyone, elsewhere),
            GuestSight::None
        );
        let members = PhotoFacts {
            event,
            guest: None,
            status: PhotoStatus::Published,
        };
        assert!(guest_sight(me, event, GuestVisibility::Everyone, members).in_gallery());
        assert!(!guest_sight(me, event, GuestVisibility::Own, members).any());
    }

    #[test]
    fn statuses_round_trip() {
        for s in PhotoStatus::ALL {
            assert_eq!(s.as_str().parse::<PhotoStatus>(), Ok(s));
        }
        assert!("deleted".parse::<PhotoStatus>().is_err());
    }

    #[test]
    fn moderation_moves_only_from_where_it_applies() {
        use ModerationAction::*;
        assert_eq!(
            Approve.transition(),
            (&[PhotoStatus::PendingReview][..], PhotoStatus::Published)
        );
        assert_eq!(Reject.transition().1, PhotoStatus::Rejected);
        assert_eq!(Hide.transition().0, &[PhotoStatus::Published]);
        assert!(Restore.transition().0.contains(&PhotoStatus::Rejected));
        assert!(
            !Restore.transition().0.contains(&PhotoStatus::Failed),
            "failed stays failed"
        );
        for a in [Approve, Reject, Hide, Restore] {
            assert_eq!(ModerationAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(ModerationAction::parse("delete"), None);
    }

    #[test]
    fn gallery_sorts_round_trip() {
        for s in [
            GallerySort::Newest,
            GallerySort::Oldest,
            GallerySort::MostReacted,
        ] {
            assert_eq!(GallerySort::parse(s.as_str()), Some(s));
        }
        assert_eq!(GallerySort::parse("random"), None);
        assert_eq!(GallerySort::default(), GallerySort::Newest);
    }
}
