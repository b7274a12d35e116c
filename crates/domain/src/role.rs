//! Roles of organization members and the one permission function (`Role::can`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A member's role in an organization. Ordered by power: `Member < Admin < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

/// What a member may try to do inside their organization. Every use case names one of these
/// and asks [`Role::can`] before it changes or shows anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the organization's events, their photos, figures and moderation pages.
    ViewEvents,
    /// Add photos to an event.
    UploadPhotos,
    /// React to photos.
    React,
    /// Approve, reject, hide, restore, keep reported photos; stop a guest uploading.
    ModeratePhotos,
    /// Download originals (one, a selection, or the whole event as a ZIP).
    DownloadOriginals,
    /// Create and edit events, change their status, replace the guest link, choose the cover.
    ManageEvents,
    /// Delete a photo for good, files included.
    DeletePhotos,
    /// Invite and remove members, change their roles (not the owner's).
    ManageMembers,
    /// Change organization settings and branding.
    ManageSettings,
    /// Read the audit log.
    ViewAuditLog,
    /// Delete the organization or hand over ownership.
    DeleteOrganization,
    /// Require two-factor sign-in of everyone in the organization.
    RequireTwoFactor,
    /// Set up lucky draws: rules, prizes, manual entries, exclusions, closing entries.
    ManageDraws,
    /// Run a closed draw on stage: the phrase, draw next, present / not present, finish.
    RunDraws,
}

impl Action {
    /// Every action, for tables and tests.
    pub const ALL: [Action; 14] = [
        Action::ViewEvents,
        Action::UploadPhotos,
        Action::React,
        Action::ModeratePhotos,
        Action::DownloadOriginals,
        Action::ManageEvents,
        Action::DeletePhotos,
        Action::ManageMembers,
        Action::ManageSettings,
        Action::ViewAuditLog,
        Action::DeleteOrganization,
        Action::RequireTwoFactor,
        Action::ManageDraws,
        Action::RunDraws,
    ];
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

    /// The permission table: the single place that says who may do what. A member helps at
    /// the party (sees, uploads, reacts, moderates, downloads); an admin also runs the events
    /// and the team; only the owner may delete the organization.
    pub fn can(self, action: Action) -> bool {
        match action {
            Action::ViewEvents
            | Action::UploadPhotos
            | Action::React
            | Action::ModeratePhotos
            | Action::DownloadOriginals
            | Action::RunDraws => true,
            Action::ManageEvents
            | Action::DeletePhotos
            | Action::ManageMembers
            | Action::ManageSettings
            | Action::ViewAuditLog
            | Action::ManageDraws => self >= Role::Admin,
            Action::DeleteOrganization | Action::RequireTwoFactor => self == Role::Owner,
        }
    }

    /// Whether a member with this role may change, deactivate or remove a member whose role
    /// is `target`: those who manage members may touch anyone but owners; owners anyone.
    pub fn may_manage(self, target: Role) -> bool {
        self.can(Action::ManageMembers) && (target != Role::Owner || self == Role::Owner)
    }

    /// Whether a member with this role may give `role` to someone (by invitation or by a role
    /// change): only owners make owners.
    pub fn may_grant(self, role: Role) -> bool {
        self.can(Action::ManageMembers) && (role != Role::Owner || self == Role::Owner)
    }

    /// The stable name stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permission table, written out: each row is an action and who may do it.
    #[test]
    fn permission_table() {
        use Action::*;
        #[rustfmt::skip]
        let table = [
            // action              member  admin  owner
            (ViewEvents,           true,   true,  true),
            (UploadPhotos,         true,   true,  true),
            (React,                true,   true,  true),
            (ModeratePhotos,       true,   true,  true),
            (DownloadOriginals,    true,   true,  true),
            (ManageEvents,         false,  true,  true),
            (DeletePhotos,         false,  true,  true),
            (ManageMembers,        false,  true,  true),
            (ManageSettings,       false,  true,  true),
            (ViewAuditLog,         false,  true,  true),
            (DeleteOrganization,   false,  false, true),
            (RequireTwoFactor,     false,  false, true),
            (ManageDraws,          false,  true,  true),
            (RunDraws,             true,   true,  true),
        ];
        assert_eq!(
            table.len(),
            Action::ALL.len(),
            "every action is in the table"
        );
        for (action, member, admin, owner) in table {
            assert_eq!(Role::Member.can(action), member, "member {action:?}");
            assert_eq!(Role::Admin.can(action), admin, "admin {action:?}");
            assert_eq!(Role::Owner.can(action), owner, "owner {action:?}");
        }
    }

    /// Who may manage whom and give which role, written out: (actor, other, manage, grant).
    #[test]
    fn management_table() {
        use Role::*;
        #[rustfmt::skip]
        let table = [
            // actor   other   may_manage(other) may_grant(other)
            (Member,   Member, false,            false),
            (Member,   Admin,  false,            false),
            (Member,   Owner,  false,            false),
            (Admin,    Member, true,             true),
            (Admin,    Admin,  true,             true),
            (Admin,    Owner,  false,            false),
            (Owner,    Member, true,             true),
            (Owner,    Admin,  true,             true),
            (Owner,    Owner,  true,             true),
        ];
        assert_eq!(table.len(), Role::ALL.len() * Role::ALL.len());
        for (actor, other, manage, grant) in table {
            assert_eq!(actor.may_manage(other), manage, "{actor} manages {other}");
            assert_eq!(actor.may_grant(other), grant, "{actor} grants {other}");
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
