//! Who is acting: every use case is told, and decides from it (with [`Role::can`]) whether
//! the action is allowed.

use crate::{Action, EventId, GuestId, Role, UserId};

/// The person (or process) behind a request or a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in member of the organization, with their role in it.
    Member { user: UserId, role: Role },
    /// A guest of one event (no account: a name and a session cookie).
    Guest { guest: GuestId, event: EventId },
    /// The server itself: jobs, maintenance, benchmarks.
    System,
}

/// The actor may not do this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not allowed: {0:?}")]
pub struct Denied(pub Action);

impl Actor {
    /// The member behind this actor, if they may do `action`. Guests may do none of the
    /// members' actions; the system may do all of them.
    pub fn require(&self, action: Action) -> Result<Option<UserId>, Denied> {
        match *self {
            Actor::Member { user, role } if role.can(action) => Ok(Some(user)),
            Actor::System => Ok(None),
            _ => Err(Denied(action)),
        }
    }

    /// The guest behind this actor, if it is a guest of `event`.
    pub fn guest_of(&self, event: EventId) -> Option<GuestId> {
        match *self {
            Actor::Guest { guest, event: e } if e == event => Some(guest),
            _ => None,
        }
    }

    /// The member's user id, if a member acts.
    pub fn user(&self) -> Option<UserId> {
        match *self {
            Actor::Member { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The stable key of a person for per-person rows (reactions, views): `u:…` or `g:…`.
    pub fn person_key(&self) -> Option<String> {
        match *self {
            Actor::Member { user, .. } => Some(format!("u:{user}")),
            Actor::Guest { guest, .. } => Some(format!("g:{guest}")),
            Actor::System => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_get_what_their_role_allows_guests_nothing() {
        let user = UserId::new();
        for role in Role::ALL {
            let a = Actor::Member { user, role };
            for action in Action::ALL {
                assert_eq!(
                    a.require(action).is_ok(),
                    role.can(action),
                    "{role} {action:?}"
                );
            }
        }
        let g = Actor::Guest {
            guest: GuestId::new(),
            event: EventId::new(),
        };
        for action in Action::ALL {
            assert_eq!(g.require(action), Err(Denied(action)));
        }
        assert_eq!(Actor::System.require(Action::DeletePhotos), Ok(None));
    }

    #[test]
    fn a_guest_belongs_to_one_event() {
        let (guest, event) = (GuestId::new(), EventId::new());
        let a = Actor::Guest { guest, event };
        assert_eq!(a.guest_of(event), Some(guest));
        assert_eq!(a.guest_of(EventId::new()), None);
        assert_eq!(a.person_key(), Some(format!("g:{guest}")));
    }
}
