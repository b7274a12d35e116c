//! Notification mails: each member chooses, per organization, a digest of new photos (off,
//! hourly, daily), mails about photos waiting for approval (off, at once, bundled) and the
//! results of draws ([`domain::Preferences`], with defaults by role).
//!
//! How they go out, without anyone watching a page and without a scan of every organization:
//! - a change that gives news queues a run for its organization in its own transaction: a
//!   processed photo queues a [`DigestRun`] at the next whole hour, a photo that starts waiting
//!   (processed, held by reports, or a changed caption) an [`ApprovalsRun`] at the next whole
//!   minute, a finished draw a [`DrawResultsRun`]. Runs are deduplicated by organization and
//!   time, so a burst of twenty photos is one run, and two instances queue it once;
//! - a run looks at the organization's active members at its time `at` (a whole hour or
//!   minute): whose mail is due, what is new for each since what was last reported to them
//!   (counts along indexes: the window's photos, the approval queue), and queues one mail per
//!   member (approvals: per event) with a link to their preferences page;
//! - what was reported is a mark per member (`last_digest_at`, `last_approvals_at`) moved from
//!   the value read to `at` by a compare-and-set in the transaction that queues the mail, so a
//!   run retried, or two runs at once, never send twice; nothing new means no mail and the mark
//!   stays, so nothing is missed; a member whose mail is not yet due while there is news gets
//!   the run they need queued at the time it is due;
//! - preferences, deactivation and roles are read when the run happens: a member who turns a
//!   mail off or is deactivated gets nothing from then on.
//!
//! A run starts [`GRACE`] after its time: a photo stamped just before `at` is committed by then.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::notifications::{UnknownChoice, next_hour, next_minute};
use domain::{
    Action, ApprovalMails, Digest, DrawId, PhotoStatus, Preferences, Role, TenantId, UserId,
};
use jobs::{Handler, Job, JobContext, JobError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{
    AuditRepo, DrawRepo, EventWaiting, Mark, NewAuditEntry, NotificationRepo, Recipient, Scope,
    StoreError, StoredChoices, Tenant, TenantRepo, Tx,
};

use crate::{Ctx, Error, Services, mail, notify};

/// Where links in notification mails go when no public URL is configured (`cargo run`).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// How long after its time a run starts.
pub const GRACE: Duration = Duration::seconds(30);

/// The path of the page where a member chooses their mails.
pub const PREFERENCES_PATH: &str = "/account/notifications";

/// What a member is mailed, with their role's defaults (shown beside the choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MyNotifications {
    pub preferences: Preferences,
    pub defaults: Preferences,
}

/// The member acting, or why not.
fn member_of(ctx: &Ctx) -> Result<(UserId, Role), Error> {
    ctx.require(Action::ViewEvents)?;
    match ctx.actor {
        domain::Actor::Member { user, role } => Ok((user, role)),
        // The system has no mailbox; guests never get here (require refused them).
        _ => Err(Error::NotFound),
    }
}

/// The effective choices of a member with `role` who stored `stored`.
fn effective(role: Role, stored: &StoredChoices) -> Preferences {
    let d = Preferences::default_for(role);
    Preferences {
        digest: stored.digest.unwrap_or(d.digest),
        approvals: stored.approvals.unwrap_or(d.approvals),
        draw_results: stored.draw_results.unwrap_or(d.draw_results),
    }
}

/// The acting member's own choices in their organization.
pub async fn my_preferences(services: &Services, ctx: &Ctx) -> Result<MyNotifications, Error> {
    let (user, role) = member_of(ctx)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let stored = tx.get_notification_choices(ctx.tenant, user).await?;
    tx.commit().await?;
    Ok(MyNotifications {
        preferences: effective(role, &stored),
        defaults: Preferences::default_for(role),
    })
}

/// The three choices as typed (a form's radio buttons, the API's JSON).
#[derive(Debug, Clone, Copy)]
pub struct PreferencesInput<'a> {
    pub digest: &'a str,
    pub approvals: &'a str,
    pub draw_results: bool,
}

/// Why preferences were not saved.
#[derive(Debug, thiserror::Error)]
pub enum PreferencesError {
    /// Values that are none of the choices, by field.
    #[error("invalid preferences")]
    Invalid(Vec<(&'static str, UnknownChoice)>),
    #[error(transparent)]
    Other(#[from] Error),
}

impl From<StoreError> for PreferencesError {
    fn from(e: StoreError) -> Self {
        PreferencesError::Other(e.into())
    }
}

/// Saves the acting member's own choices (nobody else's: there is no way to name another
/// member), with an audit row. From now on every run reads them.
pub async fn save_preferences(
    services: &Services,
    ctx: &Ctx,
    input: PreferencesInput<'_>,
) -> Result<Preferences, PreferencesError> {
    let (user, _) = member_of(ctx)?;
    let digest = input.digest.trim().parse::<Digest>();
    let approvals = input.approvals.trim().parse::<ApprovalMails>();
    let (digest, approvals) = match (digest, approvals) {
        (Ok(d), Ok(a)) => (d, a),
        (d, a) => {
            let mut problems = Vec::new();
            if let Err(e) = d {
                problems.push(("digest", e));
            }
            if let Err(e) = a {
                problems.push(("approvals", e));
            }
            return Err(PreferencesError::Invalid(problems));
        }
    };
    let chosen = Preferences {
        digest,
        approvals,
        draw_results: input.draw_results,
    };
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    tx.save_notification_choices(tenant, user, &chosen, ctx.now)
        .await?;
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor: Some(user),
            action: "notifications.changed".into(),
            subject: Some(format!("user:{user}")),
            details: json!({
                "digest": digest.as_str(),
                "approvals": approvals.as_str(),
                "draw_results": input.draw_results,
            }),
        },
    )
    .await?;
    // A digest just turned on reports from the next hour, even if nothing else happens.
    if digest != Digest::Off {
        queue_digest(&mut tx, tenant, next_hour(ctx.now)).await?;
    }
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, user.id = %user, digest = digest.as_str(), approvals = approvals.as_str(), "notification preferences saved");
    Ok(chosen)
}

// ---------------------------------------------------------------------------------------------
// What changes call, in their own transaction

/// A photo was processed into `status` at `now`: a digest run at the next hour, and the
/// approval mails when it waits.
pub async fn photo_processed(
    tx: &mut Tx,
    tenant: TenantId,
    status: PhotoStatus,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match status {
        PhotoStatus::Published => queue_digest(tx, tenant, next_hour(now)).await,
        PhotoStatus::PendingReview => {
            queue_digest(tx, tenant, next_hour(now)).await?;
            photo_waiting(tx, tenant, now).await
        }
        _ => Ok(()),
    }
}

/// A photo started waiting for approval at `now` (processed, held after reports, or a
/// changed caption): an approvals run at the next whole minute.
pub async fn photo_waiting(
    tx: &mut Tx,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    queue_approvals(tx, tenant, next_minute(now)).await
}

/// A draw finished: its results go to the members who want them.
pub async fn draw_finished(
    tx: &mut Tx,
    tenant: TenantId,
    draw: DrawId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    jobs::enqueue_at(tx, &DrawResultsRun { tenant, draw }, now).await?;
    Ok(())
}

async fn queue_digest(tx: &mut Tx, tenant: TenantId, at: DateTime<Utc>) -> Result<(), StoreError> {
    jobs::enqueue_at(tx, &DigestRun { tenant, at }, at + GRACE).await?;
    Ok(())
}

async fn queue_approvals(
    tx: &mut Tx,
    tenant: TenantId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    jobs::enqueue_at(tx, &ApprovalsRun { tenant, at }, at + GRACE).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The runs

/// The digests of one organization due at `at` (a whole hour).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestRun {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
}

impl Job for DigestRun {
    const KIND: &'static str = "notifications.digest";
    const MAX_ATTEMPTS: i32 = 5;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant)
    }

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("{}:{}", self.tenant, self.at.timestamp()))
    }
}

/// The approval mails of one organization due at `at` (a whole minute).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalsRun {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
}

impl Job for ApprovalsRun {
    const KIND: &'static str = "notifications.approvals";
    const MAX_ATTEMPTS: i32 = 5;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant)
    }

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("{}:{}", self.tenant, self.at.timestamp()))
    }
}

/// The results of one finished draw, to the members who want them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DrawResultsRun {
    pub tenant: TenantId,
    pub draw: DrawId,
}

impl Job for DrawResultsRun {
    const KIND: &'static str = "notifications.draw_results";
    const MAX_ATTEMPTS: i32 = 5;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant)
    }

    fn dedupe_key(&self) -> Option<String> {
        Some(self.draw.to_string())
    }
}

/// Registers the three runs' handlers.
pub fn register(registry: &mut jobs::Registry, services: &Services) {
    let handler = RunHandler {
        services: services.clone(),
    };
    registry.register::<DigestRun, _>(handler.clone());
    registry.register::<ApprovalsRun, _>(handler.clone());
    registry.register::<DrawResultsRun, _>(handler);
}

/// Runs [`DigestRun`], [`ApprovalsRun`] and [`DrawResultsRun`].
#[derive(Debug, Clone)]
pub struct RunHandler {
    pub services: Services,
}

#[async_trait]
impl Handler<DigestRun> for RunHandler {
    async fn run(&self, job: DigestRun, _ctx: &JobContext) -> Result<(), JobError> {
        let sent = digests(&self.services, job.tenant, job.at)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(tenant.id = %job.tenant, at = %job.at, mails = sent, "digest run");
        Ok(())
    }
}

#[async_trait]
impl Handler<ApprovalsRun> for RunHandler {
    async fn run(&self, job: ApprovalsRun, _ctx: &JobContext) -> Result<(), JobError> {
        let sent = approvals(&self.services, job.tenant, job.at)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(tenant.id = %job.tenant, at = %job.at, mails = sent, "approvals run");
        Ok(())
    }
}

#[async_trait]
impl Handler<DrawResultsRun> for RunHandler {
    async fn run(&self, job: DrawResultsRun, _ctx: &JobContext) -> Result<(), JobError> {
        let sent = draw_results(&self.services, job.tenant, job.draw)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(tenant.id = %job.tenant, draw.id = %job.draw, mails = sent, "draw results run");
        Ok(())
    }
}

/// The links a run puts in mail.
struct Links<'a> {
    base: &'a str,
}

impl Links<'_> {
    fn preferences(&self) -> String {
        format!("{}{PREFERENCES_PATH}", self.base)
    }

    fn events(&self) -> String {
        format!("{}/app/events", self.base)
    }

    fn event(&self, event: domain::EventId) -> String {
        format!("{}/app/events/{event}", self.base)
    }

    fn moderation(&self, event: domain::EventId) -> String {
        format!("{}/app/events/{event}/moderation", self.base)
    }

    fn draw(&self, tenant: TenantId, draw: DrawId) -> String {
        format!("{}/d/{tenant}/{draw}", self.base)
    }
}

/// The organization, or `None` when it is gone (then there is nobody to mail).
async fn tenant_of(tx: &mut Tx, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
    tx.get_tenant(tenant).await
}

/// Sends the digests due at `at`; returns how many mails were queued.
pub async fn digests(
    services: &Services,
    tenant: TenantId,
    at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let links = Links {
        base: &services.mail_base_url,
    };
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(org) = tenant_of(&mut tx, tenant).await? else {
        return Ok(0);
    };
    let branding = notify::branding(&mut tx, Some(&org), links.base).await?;
    let mut sent = 0;
    let mut next: Option<DateTime<Utc>> = None;
    for r in tx.notification_recipients(tenant).await? {
        let prefs = effective(r.role, &r.choices);
        let Some(period) = prefs.digest.period() else {
            continue;
        };
        if !r.role.can(Action::ViewEvents) {
            continue;
        }
        // A first digest goes at the next run and covers at most one period, nothing from
        // before they joined; later ones cover what came since the last, a period apart.
        let last = r.choices.last_digest_at;
        let since = last.unwrap_or_else(|| r.joined_at.max(at - period));
        let news = tx.new_photos_by_event(tenant, since, at).await?;
        if news.is_empty() {
            continue;
        }
        if let Some(l) = last
            && l + period > at
        {
            // Not due yet, but there is news: a run when it is.
            let due = domain::notifications::ceil_to(l + period, Duration::hours(1));
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        if !tx
            .claim_mark(
                tenant,
                r.user_id,
                Mark::Digest,
                r.choices.last_digest_at,
                at,
            )
            .await?
        {
            continue; // another run reported this window
        }
        let urls: Vec<String> = news.iter().map(|n| links.event(n.event_id)).collect();
        let events: Vec<::mail::templates::DigestEvent<'_>> = news
            .iter()
            .zip(&urls)
            .map(|(n, url)| ::mail::templates::DigestEvent {
                name: &n.event_name,
                photos: n.photos,
                contributors: n.contributors,
                url,
            })
            .collect();
        let message = ::mail::templates::new_photos_digest(
            &branding,
            r.name.as_str(),
            &events,
            &links.events(),
            &links.preferences(),
        );
        send(
            &mut tx,
            tenant,
            &r,
            format!("digest:{tenant}:{}:{}", r.user_id, at.timestamp()),
            message,
        )
        .await?;
        sent += 1;
    }
    if let Some(due) = next {
        queue_digest(&mut tx, tenant, due).await?;
    }
    tx.commit().await?;
    Ok(sent)
}

/// Sends the approval mails due at `at`; returns how many were queued.
pub async fn approvals(
    services: &Services,
    tenant: TenantId,
    at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let links = Links {
        base: &services.mail_base_url,
    };
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(org) = tenant_of(&mut tx, tenant).await? else {
        return Ok(0);
    };
    let branding = notify::branding(&mut tx, Some(&org), links.base).await?;
    let mut sent = 0;
    let mut next: Option<DateTime<Utc>> = None;
    for r in tx.notification_recipients(tenant).await? {
        let prefs = effective(r.role, &r.choices);
        if prefs.approvals == ApprovalMails::Off || !r.role.can(Action::ModeratePhotos) {
            continue;
        }
        let last = r.choices.last_approvals_at;
        let since = last.unwrap_or(r.joined_at);
        let waiting: Vec<EventWaiting> = tx
            .waiting_by_event(tenant, since, at)
            .await?
            .into_iter()
            .filter(|w| w.new > 0)
            .collect();
        if waiting.is_empty() {
            continue;
        }
        if let Err(due) = prefs.approvals.due(last, at) {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        if !tx
            .claim_mark(tenant, r.user_id, Mark::Approvals, last, at)
            .await?
        {
            continue;
        }
        for w in &waiting {
            let message = ::mail::templates::approval_waiting(
                &branding,
                r.name.as_str(),
                &w.event_name,
                w.waiting,
                &links.moderation(w.event_id),
                &links.preferences(),
            );
            send(
                &mut tx,
                tenant,
                &r,
                format!(
                    "approvals:{tenant}:{}:{}:{}",
                    r.user_id,
                    w.event_id,
                    at.timestamp()
                ),
                message,
            )
            .await?;
            sent += 1;
        }
    }
    if let Some(due) = next {
        queue_approvals(
            &mut tx,
            tenant,
            domain::notifications::ceil_to(due, Duration::minutes(1)),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(sent)
}

/// Mails a finished draw's winners to the members who want them; returns how many mails.
pub async fn draw_results(
    services: &Services,
    tenant: TenantId,
    draw: DrawId,
) -> Result<usize, StoreError> {
    let links = Links {
        base: &services.mail_base_url,
    };
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(org) = tenant_of(&mut tx, tenant).await? else {
        return Ok(0);
    };
    let Some(d) = tx.get_draw(tenant, draw).await? else {
        return Ok(0); // deleted meanwhile
    };
    if d.finished_at.is_none() {
        return Ok(0);
    }
    let Some(event) = store::EventRepo::get_event(&mut tx, tenant, d.event_id).await? else {
        return Ok(0);
    };
    let winners = crate::draws::winners_for_mail(&mut tx, &d).await?;
    let branding = notify::branding(&mut tx, Some(&org), links.base).await?;
    let verify = links.draw(tenant, draw);
    let mut sent = 0;
    for r in tx.notification_recipients(tenant).await? {
        let prefs = effective(r.role, &r.choices);
        if !prefs.draw_results || !r.role.can(Action::ViewEvents) {
            continue;
        }
        let message = ::mail::templates::draw_results(
            &branding,
            &event.name,
            &d.name,
            &winners,
            &verify,
            &links.preferences(),
        );
        send(
            &mut tx,
            tenant,
            &r,
            format!("draw:{tenant}:{draw}:{}", r.user_id),
            message,
        )
        .await?;
        sent += 1;
    }
    tx.commit().await?;
    Ok(sent)
}

/// Queues `message` to `r`, once for `key`.
async fn send(
    tx: &mut Tx,
    tenant: TenantId,
    r: &Recipient,
    key: String,
    message: ::mail::Rendered,
) -> Result<(), StoreError> {
    mail::queue_once(
        tx,
        Some(tenant),
        key,
        r.email.as_str(),
        Some(r.name.as_str()),
        message,
    )
    .await
    .map(|_| ())
}
