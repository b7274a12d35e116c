//! Use cases: what Momentique does, free of HTTP. Handlers parse, authorize, call a use case
//! here and render its result; workers do the same for jobs.

pub mod accounts;
pub mod activity;
pub mod captions;
pub mod context;
pub mod draws;
pub mod events;
pub mod gallery;
pub mod guest_admin;
pub mod guests;
pub mod health;
pub mod live;
pub mod mail;
pub mod maintenance;
pub mod media_urls;
pub mod moderation;
pub mod notifications;
pub mod notify;
pub mod org_settings;
pub mod photos;
pub mod reactions;
pub mod resumable;
pub mod secrets;
pub mod teams;
pub mod totp;
pub mod two_factor;
pub mod usage;
pub mod walls;

use std::sync::Arc;

use domain::time::{Clock, SystemClock};
use media::BlobStore;
use secrets::SecretKey;
use store::{Db, RateLimiter, Redis, SessionStore};

pub use context::{Ctx, Error};

/// The records use cases hand back, for the web layer to render (it does not reach the store
/// itself: the compiler keeps that layering).
pub mod records {
    pub use store::{
        AuditEntry, Decision, Draw, DrawTier, Event, EventCursor, EventPhotoFilter, EventQuery,
        EventSort, GalleryCursor, GalleryQuery, GallerySort, Guest, GuestFigures, GuestTotals,
        Invitation, InvitationState, Limit, OrgSettings, Photo, QueueStats, REACTION_KINDS,
        ReactionSummary, SessionRecord, StoreError, StoredRendition, TeamMember, Tenant, User,
        Wall,
    };
}

/// The outside services every use case may need. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    pub db: Db,
    pub blobs: BlobStore,
    /// Present when `MOMENTIQUE_REDIS_URL` is set.
    pub redis: Option<Redis>,
    /// Login sessions: in Redis when configured, else in the database.
    pub sessions: SessionStore,
    /// Rate-limit counters: in Redis when configured, else in this process.
    pub limits: RateLimiter,
    /// The server's secret key (join links, signed URLs). Shared by every instance.
    pub secret: SecretKey,
    pub uploads: photos::UploadSettings,
    /// Reports that take a photo out of the gallery until a member decides.
    pub report_threshold: u32,
    /// Where "now" comes from: the system clock, or a manual one in tests.
    pub clock: Arc<dyn Clock>,
    /// The live layer: rooms of viewers per event, rung after each feed commit.
    pub live: live::Hub,
    /// Sends email (the `mail.send` job): SMTP, or an outbox folder.
    pub mailer: ::mail::Mailer,
    /// The plans organizations can be on, and their limits.
    pub plans: Arc<usage::Plans>,
    /// The base of links in mail that no request asked for (notifications sent by jobs):
    /// `MOMENTIQUE_PUBLIC_URL`, else this machine.
    pub mail_base_url: String,
}

impl Services {
    /// Wires the stores that follow from the database and the optional Redis, with a random
    /// secret key; `serve` replaces it with the configured one (`with_secret`).
    pub fn new(db: Db, blobs: BlobStore, redis: Option<Redis>) -> Self {
        let sessions = SessionStore::new(&db, redis.as_ref());
        let limits = RateLimiter::new(redis.as_ref());
        let secret = SecretKey::random();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let live = live::Hub::new(db.clone(), redis.clone(), secret.clone(), clock.clone());
        Self {
            db,
            blobs,
            redis,
            sessions,
            limits,
            secret,
            uploads: photos::UploadSettings::default(),
            report_threshold: moderation::DEFAULT_REPORT_THRESHOLD,
            clock,
            live,
            // An outbox under the system temp dir until `serve` sets the configured one.
            mailer: ::mail::Mailer::default(),
            plans: Arc::new(usage::Plans::default()),
            mail_base_url: notifications::DEFAULT_BASE_URL.to_owned(),
        }
    }
}

impl Services {
    /// The same services with this secret key.
    pub fn with_secret(self, secret: SecretKey) -> Self {
        let live = self.hub_with(&secret, &self.clock);
        Self {
            secret,
            live,
            ..self
        }
    }

    /// A live hub for these services' database and Redis (it keeps the secret and the clock
    /// it renders messages with, so changing either makes a new one; none has viewers yet).
    fn hub_with(&self, secret: &SecretKey, clock: &Arc<dyn Clock>) -> live::Hub {
        live::Hub::new(
            self.db.clone(),
            self.redis.clone(),
            secret.clone(),
            clock.clone(),
        )
    }

    /// The same services with these plans.
    pub fn with_plans(self, plans: usage::Plans) -> Self {
        Self {
            plans: Arc::new(plans),
            ..self
        }
    }

    pub fn with_uploads(self, uploads: photos::UploadSettings) -> Self {
        Self { uploads, ..self }
    }

    /// The same services reading time from `clock` (tests move a manual clock).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        let live = self.hub_with(&self.secret, &clock);
        Self {
            clock,
            live,
            ..self
        }
    }

    /// The same services sending email with `mailer`.
    pub fn with_mailer(mut self, mailer: ::mail::Mailer) -> Self {
        self.mailer = mailer;
        self
    }

    /// The same services linking to `base` in notification mails.
    pub fn with_mail_base_url(mut self, base: &str) -> Self {
        base.trim_end_matches('/')
            .clone_into(&mut self.mail_base_url);
        self
    }

    pub fn with_report_threshold(self, report_threshold: u32) -> Self {
        Self {
            report_threshold,
            ..self
        }
    }
}

/// Every background job this program runs, with its handler.
pub fn registry(services: &Services) -> jobs::Registry {
    let mut registry = maintenance::registry(&services.db);
    registry.register::<photos::ProcessPhoto, _>(photos::ProcessPhotoHandler::new(services));
    registry.register::<moderation::DeletePhotoFiles, _>(moderation::DeletePhotoFilesHandler {
        blobs: services.blobs.clone(),
    });
    registry.register::<draws::CloseDraw, _>(draws::CloseDrawHandler {
        services: services.clone(),
    });
    registry.register::<mail::SendMail, _>(mail::SendMailHandler {
        mailer: services.mailer.clone(),
    });
    notifications::register(&mut registry, services);
    registry
}
