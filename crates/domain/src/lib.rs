//! Momentique's domain: identifiers, parsed values and rules. No I/O lives here.
//!
//! Everything that crosses a trust boundary is parsed into one of these types once, at the
//! edge, so the layers below never re-validate (see `Email::parse`).

pub mod actor;
pub mod draw;
pub mod draw_rules;
pub mod event;
pub mod ids;
pub mod notifications;
pub mod org_settings;
pub mod password;
pub mod photo;
pub mod plan;
pub mod role;
pub mod time;
pub mod values;

pub use actor::{Actor, Denied};
pub use draw_rules::EntryRule;
pub use event::{
    EventSettings, EventSlug, EventSort, EventStatus, EventZone, GuestVisibility, Moderation,
};
pub use ids::{
    AuditId, DrawId, EventId, GuestId, InvitationId, JobId, ManualEntryId, PhotoId, TenantId,
    UserId, WallId,
};
pub use notifications::{ApprovalMails, Digest, Preferences};
pub use org_settings::{AccentColour, EventDefaults};
pub use password::PasswordProblem;
pub use photo::{
    GallerySort, GuestSight, ModerationAction, PhotoFacts, PhotoStatus, REACTION_KINDS, guest_sight,
};
pub use role::{Action, Role};
pub use values::{Caption, Email, OrgName, ParseError, PersonName};
