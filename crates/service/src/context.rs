//! The context every use case takes: which organization, who is acting, and what time it is.
//!
//! A handler (or a job) builds one from the request ([`Services::member_ctx`],
//! [`Services::guest_ctx`]); the use case asks it for permission ([`Ctx::require`]) before it
//! reads or changes anything, and takes "now" from it, so a test's manual clock rules every
//! use case at once.

use chrono::{DateTime, Utc};
use domain::{Action, Actor, Denied, EventId, GuestId, Role, TenantId, UserId};
use store::StoreError;

use crate::Services;

/// Who does what, where, when.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub tenant: TenantId,
    pub actor: Actor,
    /// The clock's reading when the request began (microseconds).
    pub now: DateTime<Utc>,
}

impl Ctx {
    /// The member doing `action` (`None` for the system), or [`Denied`].
    pub fn require(&self, action: Action) -> Result<Option<UserId>, Denied> {
        self.actor.require(action)
    }

    /// The guest acting, when they are a guest of `event`.
    pub fn guest_of(&self, event: EventId) -> Option<GuestId> {
        self.actor.guest_of(event)
    }
}

impl Services {
    /// Now, from the services' clock (the real one, or a test's manual clock).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The context of a member working in `tenant` with `role`.
    pub fn member_ctx(&self, tenant: TenantId, user: UserId, role: Role) -> Ctx {
        Ctx {
            tenant,
            actor: Actor::Member { user, role },
            now: self.now(),
        }
    }

    /// The context of a guest of one event.
    pub fn guest_ctx(&self, guest: &store::Guest) -> Ctx {
        Ctx {
            tenant: guest.tenant_id,
            actor: Actor::Guest {
                guest: guest.id,
                event: guest.event_id,
            },
            now: self.now(),
        }
    }

    /// The context of the server itself in `tenant` (jobs, benchmarks, admin commands).
    pub fn system_ctx(&self, tenant: TenantId) -> Ctx {
        Ctx {
            tenant,
            actor: Actor::System,
            now: self.now(),
        }
    }
}

/// What a use case can fail with when it has no reasons of its own to give.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The actor may not do this.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No such thing for this actor to see (another organization's ids answer the same).
    #[error("not found")]
    NotFound,
    /// A member blocked this guest: no uploads, reactions or reports.
    #[error("the guest is blocked")]
    GuestBlocked,
    #[error(transparent)]
    Store(#[from] StoreError),
}
