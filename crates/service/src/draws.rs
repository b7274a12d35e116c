//! Lucky draws: members set one up (rules, prizes, walk-ins, exclusions), guests' published
//! photos enter them, entries close (by hand or by the `draws.close` job at the set time), and
//! the draw runs on the big screen, pick by pick, from the server's committed seed
//! (docs/DRAW.md). Nothing here chooses a winner: [`domain::draw`] does, from the seed, the
//! stage phrase and the locked entry list, and anyone can recompute it from the export.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::draw::{self as math, DrawExport, Entry, Outcome, PickRecord, TierSpec};
use domain::draw_rules::{self, MAX_RULE_NUMBER, mask_name};
use domain::{Action, DrawId, EntryRule, EventId, GuestId, ManualEntryId, PhotoId, TenantId};
use jobs::{Handler, Job, JobContext, JobError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{
    AuditRepo, Candidate, Draw, DrawLock, DrawPick, DrawRepo, DrawTier, Event, EventRepo, FeedRepo,
    GuestRepo, LockedEntry, ManualEntry, NewAuditEntry, Photo, PhotoRepo, Scope, StoreError, Tx,
    WallRepo,
};

use crate::walls::OpenWall;
use crate::{Ctx, Error, Services, live};

/// Longest draw, prize and walk-in name.
pub const MAX_NAME: usize = 80;
/// Longest note on a walk-in.
pub const MAX_NOTE: usize = 200;
/// Longest stage phrase.
pub const MAX_PHRASE: usize = 200;
/// Most prize tiers in a draw.
pub const MAX_TIERS: usize = 20;
/// Most winners of one prize.
pub const MAX_WINNERS: u32 = 100;
/// Walk-ins one draw may hold.
pub const MAX_MANUAL: usize = 1_000;
/// Participants one page of the list shows.
pub const PAGE: u32 = 200;

/// Where a draw is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawStatus {
    /// Entries are open: rules, prizes and entries may change.
    Open,
    /// Entries closed: the list and the commitment are published; the draw runs.
    Closed,
    /// Over: the seed is published.
    Finished,
}

impl DrawStatus {
    pub fn of(d: &Draw) -> Self {
        match (&d.lock, d.finished_at) {
            (None, _) => DrawStatus::Open,
            (Some(_), None) => DrawStatus::Closed,
            (Some(_), Some(_)) => DrawStatus::Finished,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DrawStatus::Open => "open",
            DrawStatus::Closed => "closed",
            DrawStatus::Finished => "finished",
        }
    }
}

/// Why a draw use case refused, beyond permission and existence (stable codes the web layer
/// words: `draw.<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DrawProblem {
    #[error("the entries have closed")]
    Locked,
    #[error("the entries have not closed yet")]
    NotClosed,
    #[error("the draw is over")]
    Finished,
    #[error("the draw has no prizes")]
    NoPrizes,
    #[error("nobody is entered")]
    NoEntries,
    #[error("every prize has its winner")]
    AllDrawn,
    #[error("nobody is left to draw")]
    NobodyLeft,
    #[error("the phrase can only be typed before the first winner is drawn")]
    PhraseTooLate,
    #[error("only the latest winner can be marked, once")]
    NotMarkable,
    #[error("another screen acted at the same moment")]
    Busy,
    #[error("too many walk-ins")]
    TooManyWalkIns,
}

impl DrawProblem {
    pub fn code(self) -> &'static str {
        match self {
            DrawProblem::Locked => "locked",
            DrawProblem::NotClosed => "not_closed",
            DrawProblem::Finished => "finished",
            DrawProblem::NoPrizes => "no_prizes",
            DrawProblem::NoEntries => "no_entries",
            DrawProblem::AllDrawn => "all_drawn",
            DrawProblem::NobodyLeft => "nobody_left",
            DrawProblem::PhraseTooLate => "phrase_too_late",
            DrawProblem::NotMarkable => "not_markable",
            DrawProblem::Busy => "busy",
            DrawProblem::TooManyWalkIns => "too_many_walk_ins",
        }
    }
}

/// What a draw use case fails with.
#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error(transparent)]
    Base(#[from] Error),
    #[error(transparent)]
    Problem(#[from] DrawProblem),
    /// Fields of the form that are not right.
    #[error("the form has mistakes")]
    Invalid(Vec<FieldError>),
}

impl From<StoreError> for DrawError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Locked => DrawError::Problem(DrawProblem::Locked),
            StoreError::Conflict(_) => DrawError::Problem(DrawProblem::Busy),
            other => DrawError::Base(Error::Store(other)),
        }
    }
}

impl From<domain::Denied> for DrawError {
    fn from(e: domain::Denied) -> Self {
        DrawError::Base(Error::Denied(e))
    }
}

type Result<T, E = DrawError> = std::result::Result<T, E>;

/// A field of a draw form that is not right: the field (`name`, `rule_n`, `closes_at`,
/// `tier_name.2` …) and a stable code the web layer words (`draw.field.<code>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

/// One prize as a member types it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TierInput {
    pub name: String,
    pub winners: String,
    /// A photo of the event to show with the prize (its id), or empty.
    pub photo: String,
}

/// A draw's form, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrawForm {
    pub name: String,
    /// `per_guest` or `per_photo`.
    pub rule_kind: String,
    pub rule_n: String,
    pub exclude_earlier_winners: bool,
    pub mask_names: bool,
    /// Local time in the event's zone (`2026-06-01T22:00`), or empty: closed by hand.
    pub closes_at: String,
    pub tiers: Vec<TierInput>,
}

impl DrawForm {
    /// A new draw's form: one prize, one entry per guest with a photo.
    pub fn new_draw() -> Self {
        Self {
            name: "Lucky draw".into(),
            rule_kind: "per_guest".into(),
            rule_n: "1".into(),
            exclude_earlier_winners: true,
            mask_names: false,
            closes_at: String::new(),
            tiers: vec![TierInput {
                name: String::new(),
                winners: "1".into(),
                photo: String::new(),
            }],
        }
    }

    /// The form filled from a stored draw.
    pub fn from_draw(d: &Draw, tiers: &[DrawTier], event: &Event) -> Self {
        let (kind, n) = d.rule.parts();
        Self {
            name: d.name.clone(),
            rule_kind: kind.to_owned(),
            rule_n: n.to_string(),
            exclude_earlier_winners: d.exclude_earlier_winners,
            mask_names: d.mask_names,
            closes_at: d
                .closes_at
                .map(|t| crate::events::format_local(t, event.time_zone))
                .unwrap_or_default(),
            tiers: tiers
                .iter()
                .map(|t| TierInput {
                    name: t.name.clone(),
                    winners: t.winners.to_string(),
                    photo: t.photo_id.map(|p| p.to_string()).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A draw's checked fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DrawFields {
    name: String,
    rule: EntryRule,
    exclude_earlier_winners: bool,
    mask_names: bool,
    closes_at: Option<DateTime<Utc>>,
    tiers: Vec<DrawTier>,
}

fn bad_text(s: &str, max: usize) -> bool {
    s.chars().count() > max || s.chars().any(char::is_control)
}

fn check_form(form: &DrawForm, event: &Event, now: DateTime<Utc>) -> Result<DrawFields> {
    let mut errors = Vec::new();
    let mut err = |field: String, code: &'static str| errors.push(FieldError { field, code });
    let name = form.name.trim();
    if name.is_empty() {
        err("name".into(), "name_empty");
    } else if bad_text(name, MAX_NAME) {
        err("name".into(), "name_long");
    }
    let n = form.rule_n.trim().parse::<u32>().ok();
    let rule = match n {
        Some(n) if (1..=MAX_RULE_NUMBER).contains(&n) => {
            EntryRule::from_parts(form.rule_kind.trim(), n)
        }
        _ => None,
    };
    if rule.is_none() {
        err("rule_n".into(), "rule");
    }
    let closes_at = match crate::events::parse_local(&form.closes_at, Some(event.time_zone)) {
        Ok(Some(t)) if t <= now => {
            err("closes_at".into(), "closes_past");
            None
        }
        Ok(t) => t,
        Err(_) => {
            err("closes_at".into(), "closes_at");
            None
        }
    };
    let mut tiers = Vec::new();
    let typed: Vec<&TierInput> = form
        .tiers
        .iter()
        .filter(|t| !(t.name.trim().is_empty() && t.photo.trim().is_empty()))
        .collect();
    if typed.is_empty() {
        err("tier_name.1".into(), "no_prizes");
    }
    if typed.len() > MAX_TIERS {
        err("tiers".into(), "too_many_prizes");
    }
    for (i, t) in typed.iter().take(MAX_TIERS).enumerate() {
        let position = i as u32 + 1;
        let tname = t.name.trim();
        if tname.is_empty() {
            err(format!("tier_name.{position}"), "prize_name_empty");
        } else if bad_text(tname, MAX_NAME) {
            err(format!("tier_name.{position}"), "name_long");
        }
        let winners = match t.winners.trim().parse::<u32>() {
            Ok(w) if (1..=MAX_WINNERS).contains(&w) => w,
            _ => {
                err(format!("tier_winners.{position}"), "winners");
                1
            }
        };
        let photo_id = match t.photo.trim() {
            "" => None,
            raw => match raw.parse::<PhotoId>() {
                Ok(p) => Some(p),
                Err(_) => {
                    err(format!("tier_photo.{position}"), "photo");
                    None
                }
            },
        };
        tiers.push(DrawTier {
            position,
            name: tname.to_owned(),
            winners,
            photo_id,
        });
    }
    if !errors.is_empty() {
        return Err(DrawError::Invalid(errors));
    }
    Ok(DrawFields {
        name: name.to_owned(),
        rule: rule.unwrap_or_default(),
        exclude_earlier_winners: form.exclude_earlier_winners,
        mask_names: form.mask_names,
        closes_at,
        tiers,
    })
}

async fn event_of(tx: &mut Tx, tenant: TenantId, event: EventId) -> Result<Event> {
    Ok(tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?)
}

async fn draw_of(tx: &mut Tx, tenant: TenantId, event: EventId, draw: DrawId) -> Result<Draw> {
    match tx.get_draw(tenant, draw).await? {
        Some(d) if d.event_id == event => Ok(d),
        _ => Err(Error::NotFound.into()),
    }
}

async fn audit(
    tx: &mut Tx,
    ctx: &Ctx,
    actor: Option<domain::UserId>,
    action: &str,
    d: &Draw,
    details: Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        ctx.tenant,
        &NewAuditEntry {
            actor,
            action: action.to_owned(),
            subject: Some(format!("event:{}/draw:{}", d.event_id, d.id)),
            details,
        },
    )
    .await
    .map(|_| ())
}

/// Checks that the prize pictures are photos of this event.
async fn check_tier_photos(tx: &mut Tx, ev: &Event, tiers: &[DrawTier]) -> Result<()> {
    let mut errors = Vec::new();
    for t in tiers {
        if let Some(p) = t.photo_id {
            match tx.get_photo(ev.tenant_id, p).await? {
                Some(photo) if photo.event_id == ev.id => {}
                _ => errors.push(FieldError {
                    field: format!("tier_photo.{}", t.position),
                    code: "photo",
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DrawError::Invalid(errors))
    }
}

/// The closing job of a draw with a set time (a new one when the time changes; an old one
/// finds the time changed and does nothing).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseDraw {
    pub tenant: TenantId,
    pub event: EventId,
    pub draw: DrawId,
    pub at: DateTime<Utc>,
}

impl Job for CloseDraw {
    const KIND: &'static str = "draws.close";
    const MAX_ATTEMPTS: i32 = 10;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant)
    }

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("{}:{}", self.draw, self.at.timestamp_micros()))
    }
}

/// Runs [`CloseDraw`].
#[derive(Debug, Clone)]
pub struct CloseDrawHandler {
    pub services: Services,
}

#[async_trait]
impl Handler<CloseDraw> for CloseDrawHandler {
    async fn run(&self, job: CloseDraw, _ctx: &JobContext) -> Result<(), JobError> {
        let ctx = self.services.system_ctx(job.tenant);
        let mut tx = self
            .services
            .db
            .begin_read(Scope::Tenant(job.tenant))
            .await
            .map_err(JobError::retry)?;
        let d = tx
            .get_draw(job.tenant, job.draw)
            .await
            .map_err(JobError::retry)?;
        tx.commit().await.map_err(JobError::retry)?;
        let due =
            d.is_some_and(|d| d.lock.is_none() && d.closes_at == Some(job.at) && job.at <= ctx.now);
        if !due {
            return Ok(());
        }
        match close(&self.services, &ctx, job.event, job.draw).await {
            Ok(_) => Ok(()),
            // Nobody entered or no prizes: the draw stays open for the hosts to decide.
            Err(DrawError::Problem(p)) => {
                tracing::warn!(draw = %job.draw, problem = %p, "a draw's set closing time passed but it could not close");
                Ok(())
            }
            Err(e) => Err(JobError::retry(e)),
        }
    }
}

async fn schedule_close(tx: &mut Tx, d: &Draw) -> Result<(), StoreError> {
    if let Some(at) = d.closes_at {
        jobs::enqueue_at(
            tx,
            &CloseDraw {
                tenant: d.tenant_id,
                event: d.event_id,
                draw: d.id,
                at,
            },
            at,
        )
        .await?;
    }
    Ok(())
}

/// Makes a draw for `event` from its form.
pub async fn create(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    form: &DrawForm,
) -> Result<Draw> {
    let actor = ctx.require(Action::ManageDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let f = check_form(form, &ev, ctx.now)?;
    check_tier_photos(&mut tx, &ev, &f.tiers).await?;
    let d = Draw {
        id: DrawId::new(),
        tenant_id: ctx.tenant,
        event_id: event,
        name: f.name,
        rule: f.rule,
        exclude_earlier_winners: f.exclude_earlier_winners,
        mask_names: f.mask_names,
        closes_at: f.closes_at,
        created_by: actor,
        created_at: ctx.now,
        updated_at: ctx.now,
        lock: None,
        phrase: None,
        phrase_at: None,
        finished_at: None,
    };
    tx.insert_draw(&d).await?;
    tx.replace_tiers(ctx.tenant, d.id, &f.tiers).await?;
    schedule_close(&mut tx, &d).await?;
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.created",
        &d,
        json!({ "name": d.name, "rule": d.rule.describe(), "prizes": f.tiers.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(d)
}

/// Changes an open draw's rules and prizes.
pub async fn update(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    form: &DrawForm,
) -> Result<Draw> {
    let actor = ctx.require(Action::ManageDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let mut d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    if d.lock.is_some() {
        return Err(DrawProblem::Locked.into());
    }
    let f = check_form(form, &ev, ctx.now)?;
    check_tier_photos(&mut tx, &ev, &f.tiers).await?;
    let rescheduled = d.closes_at != f.closes_at;
    d.name = f.name;
    d.rule = f.rule;
    d.exclude_earlier_winners = f.exclude_earlier_winners;
    d.mask_names = f.mask_names;
    d.closes_at = f.closes_at;
    d.updated_at = ctx.now;
    tx.update_draw(&d).await?;
    tx.replace_tiers(ctx.tenant, d.id, &f.tiers).await?;
    if rescheduled {
        schedule_close(&mut tx, &d).await?;
    }
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.updated",
        &d,
        json!({ "name": d.name, "rule": d.rule.describe(), "prizes": f.tiers.len(),
                "closes_at": d.closes_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)) }),
    )
    .await?;
    tx.commit().await?;
    Ok(d)
}

/// Deletes a draw whose entries are still open.
pub async fn delete(services: &Services, ctx: &Ctx, event: EventId, draw: DrawId) -> Result<()> {
    let actor = ctx.require(Action::ManageDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    if d.lock.is_some() {
        return Err(DrawProblem::Locked.into());
    }
    tx.delete_draw(ctx.tenant, draw).await?;
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.deleted",
        &d,
        json!({ "name": d.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enters a walk-in by hand (a name, an optional note).
pub async fn add_walk_in(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    name: &str,
    note: &str,
) -> Result<ManualEntry> {
    let actor = ctx.require(Action::ManageDraws)?;
    let name = name.trim();
    let note = note.trim();
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(FieldError {
            field: "walk_in_name".into(),
            code: "name_empty",
        });
    } else if bad_text(name, MAX_NAME) {
        errors.push(FieldError {
            field: "walk_in_name".into(),
            code: "name_long",
        });
    }
    if bad_text(note, MAX_NOTE) {
        errors.push(FieldError {
            field: "walk_in_note".into(),
            code: "note_long",
        });
    }
    if !errors.is_empty() {
        return Err(DrawError::Invalid(errors));
    }
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    if d.lock.is_some() {
        return Err(DrawProblem::Locked.into());
    }
    if tx.list_manual_entries(ctx.tenant, draw).await?.len() >= MAX_MANUAL {
        return Err(DrawProblem::TooManyWalkIns.into());
    }
    let entry = ManualEntry {
        id: ManualEntryId::new(),
        draw_id: draw,
        name: name.to_owned(),
        note: (!note.is_empty()).then(|| note.to_owned()),
        created_at: ctx.now,
    };
    tx.insert_manual_entry(ctx.tenant, &entry).await?;
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.walk_in_added",
        &d,
        json!({ "name": entry.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

/// Takes a walk-in out again while entries are open.
pub async fn remove_walk_in(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    entry: ManualEntryId,
) -> Result<()> {
    let actor = ctx.require(Action::ManageDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    if d.lock.is_some() {
        return Err(DrawProblem::Locked.into());
    }
    if !tx.delete_manual_entry(ctx.tenant, draw, entry).await? {
        return Err(Error::NotFound.into());
    }
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.walk_in_removed",
        &d,
        json!({ "entry": entry.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Excludes a guest of the event from the draw, or lets them back in.
pub async fn set_excluded(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    guest: GuestId,
    excluded: bool,
) -> Result<()> {
    let actor = ctx.require(Action::ManageDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    if d.lock.is_some() {
        return Err(DrawProblem::Locked.into());
    }
    if tx.get_guest(ctx.tenant, event, guest).await?.is_none() {
        return Err(Error::NotFound.into());
    }
    tx.set_excluded(ctx.tenant, draw, guest, excluded).await?;
    audit(
        &mut tx,
        ctx,
        actor,
        if excluded {
            "draw.guest_excluded"
        } else {
            "draw.guest_included"
        },
        &d,
        json!({ "guest": guest.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A random entry id: 12 characters of a-z and 2-7 (60 bits), never a name.
fn entry_id(taken: &mut HashSet<String>) -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    loop {
        let mut b = [0u8; 8];
        OsRng.fill_bytes(&mut b);
        let id: String = crate::secrets::base32(&b)
            .to_ascii_lowercase()
            .chars()
            .take(12)
            .collect();
        if taken.insert(id.clone()) {
            return id;
        }
    }
}

/// Guests left out of `d` for winning one of the event's other draws (present, or drawn and
/// not marked absent), when the draw says so; else nobody.
async fn earlier_winners(tx: &mut Tx, d: &Draw) -> Result<HashSet<GuestId>> {
    if !d.exclude_earlier_winners {
        return Ok(HashSet::new());
    }
    Ok(tx
        .event_winners(d.tenant_id, d.event_id)
        .await?
        .into_iter()
        .filter(|w| w.draw_id != d.id && w.outcome != Outcome::NotPresent)
        .filter_map(|w| w.guest_id)
        .collect())
}

/// The photos a guest needs in the gallery to be a candidate at all under `rule`.
fn min_published(rule: EntryRule) -> i64 {
    match rule {
        EntryRule::PerGuest { min_photos } => i64::from(min_photos),
        EntryRule::PerPhoto { .. } => 1,
    }
}

/// What closing a draw published.
#[derive(Debug, Clone)]
pub struct Closed {
    pub draw: Draw,
    pub entries: usize,
    pub tickets: u64,
}

/// Closes the entries: fixes the entry list (guests by the rule, minus exclusions, plus
/// walk-ins) under opaque ids, draws the secret seed from the OS, and publishes the list's hash
/// and the seed's commitment. From here on nothing about the draw can change but its progress.
pub async fn close(services: &Services, ctx: &Ctx, event: EventId, draw: DrawId) -> Result<Closed> {
    let actor = ctx.require(Action::ManageDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    if d.lock.is_some() {
        return Err(DrawProblem::Locked.into());
    }
    if tx.list_tiers(ctx.tenant, draw).await?.is_empty() {
        return Err(DrawProblem::NoPrizes.into());
    }
    let min = min_published(d.rule);
    let candidates = tx
        .candidates(ctx.tenant, event, draw, min, None, None)
        .await?;
    let earlier = earlier_winners(&mut tx, &d).await?;
    let excluded = tx.count_excluded(ctx.tenant, draw).await?;
    let mut taken = HashSet::new();
    let mut entries: Vec<LockedEntry> = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let tickets = d.rule.tickets(u64::try_from(c.published).unwrap_or(0));
        if c.excluded || earlier.contains(&c.guest_id) || tickets == 0 {
            continue;
        }
        entries.push(LockedEntry {
            entry_id: entry_id(&mut taken),
            weight: tickets,
            guest_id: Some(c.guest_id),
            manual_entry_id: None,
            name: c.name.clone(),
        });
    }
    for m in tx.list_manual_entries(ctx.tenant, draw).await? {
        entries.push(LockedEntry {
            entry_id: entry_id(&mut taken),
            weight: 1,
            guest_id: None,
            manual_entry_id: Some(m.id),
            name: m.name,
        });
    }
    if entries.is_empty() {
        return Err(DrawProblem::NoEntries.into());
    }
    entries.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
    let public: Vec<Entry> = entries
        .iter()
        .map(|e| Entry {
            id: e.entry_id.clone(),
            weight: e.weight,
        })
        .collect();
    let hash = math::entry_list_hash(&public).map_err(|e| {
        Error::Store(StoreError::Corrupt {
            column: "draw_entries",
            reason: e.to_string(),
        })
    })?;
    let seed = {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut s = [0u8; 32];
        OsRng.fill_bytes(&mut s);
        s
    };
    let excluded_total = usize::try_from(excluded).unwrap_or(0);
    let lock = DrawLock {
        closed_at: ctx.now,
        rules_text: draw_rules::rules_text(d.rule, d.exclude_earlier_winners, excluded_total),
        entry_list_hash: math::hex(&hash),
        commitment: math::hex(&math::commitment(&seed)),
        seed: math::hex(&seed),
    };
    if !tx.close_draw(ctx.tenant, draw, &lock, &entries).await? {
        return Err(DrawProblem::Locked.into());
    }
    let tickets: u64 = entries.iter().map(|e| u64::from(e.weight)).sum();
    let mut closed = d.clone();
    closed.lock = Some(lock.clone());
    closed.updated_at = ctx.now;
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.closed",
        &closed,
        json!({
            "entries": entries.len(), "tickets": tickets, "rules": lock.rules_text,
            "entry_list_hash": lock.entry_list_hash, "commitment": lock.commitment,
            "by": if actor.is_some() { "member" } else { "schedule" },
        }),
    )
    .await?;
    live::draw_changed(&mut tx, &ev, draw, "closed", ctx.now).await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(Closed {
        draw: closed,
        entries: entries.len(),
        tickets,
    })
}

/// Records the phrase a guest typed on stage, before the first winner (it is mixed into every
/// pick, so the server could not have known the outcome when it committed to its seed).
pub async fn set_phrase(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    phrase: &str,
) -> Result<()> {
    let actor = ctx.require(Action::RunDraws)?;
    let phrase = phrase.trim();
    if phrase.is_empty() || bad_text(phrase, MAX_PHRASE) {
        return Err(DrawError::Invalid(vec![FieldError {
            field: "phrase".into(),
            code: "phrase",
        }]));
    }
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    match DrawStatus::of(&d) {
        DrawStatus::Open => return Err(DrawProblem::NotClosed.into()),
        DrawStatus::Finished => return Err(DrawProblem::Finished.into()),
        DrawStatus::Closed => {}
    }
    if !tx.set_phrase(ctx.tenant, draw, phrase, ctx.now).await? {
        return Err(DrawProblem::PhraseTooLate.into());
    }
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.phrase",
        &d,
        json!({ "phrase": phrase }),
    )
    .await?;
    live::draw_changed(&mut tx, &ev, draw, "phrase", ctx.now).await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(())
}

fn tier_specs(tiers: &[DrawTier]) -> Vec<TierSpec> {
    tiers
        .iter()
        .map(|t| TierSpec {
            position: t.position,
            name: t.name.clone(),
            winners: t.winners,
        })
        .collect()
}

fn pick_records(picks: &[DrawPick]) -> Vec<PickRecord> {
    picks
        .iter()
        .map(|p| PickRecord {
            tier: p.tier,
            round: p.round,
            entry: p.entry_id.clone(),
            outcome: p.outcome,
        })
        .collect()
}

fn public_entries(entries: &[LockedEntry]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| Entry {
            id: e.entry_id.clone(),
            weight: e.weight,
        })
        .collect()
}

fn corrupt(reason: impl ToString) -> DrawError {
    DrawError::Base(Error::Store(StoreError::Corrupt {
        column: "draws",
        reason: reason.to_string(),
    }))
}

/// The next winner, as the rules and the committed seed give them: the next (prize, round) in
/// the fixed order, drawn from the entries still in the running. Returns the pick.
pub async fn draw_next(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
) -> Result<DrawPick> {
    let actor = ctx.require(Action::RunDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    let lock = match (&d.lock, d.finished_at) {
        (None, _) => return Err(DrawProblem::NotClosed.into()),
        (Some(_), Some(_)) => return Err(DrawProblem::Finished.into()),
        (Some(l), None) => l.clone(),
    };
    let tiers = tx.list_tiers(ctx.tenant, draw).await?;
    let picks = tx.list_picks(ctx.tenant, draw).await?;
    let Some((tier, round)) = math::next_pick(&tier_specs(&tiers), &pick_records(&picks)) else {
        return Err(DrawProblem::AllDrawn.into());
    };
    let entries = tx.list_entries(ctx.tenant, draw).await?;
    let public = public_entries(&entries);
    let hash = math::entry_list_hash(&public).map_err(corrupt)?;
    if math::hex(&hash) != lock.entry_list_hash {
        return Err(corrupt("the entry list does not match its published hash"));
    }
    let seed = math::parse_hex32(&lock.seed).ok_or_else(|| corrupt("bad seed"))?;
    let key = math::draw_key(&seed, &hash, d.phrase.as_deref().unwrap_or(""));
    let mut pool = math::Pool::new(&public).map_err(corrupt)?;
    for p in &picks {
        pool.remove(&p.entry_id);
    }
    let winner = match pool.pick(&key, tier, round) {
        Ok(w) => w,
        Err(math::DrawError::PoolEmpty) => return Err(DrawProblem::NobodyLeft.into()),
        Err(e) => return Err(corrupt(e)),
    };
    let pick = DrawPick {
        seq: picks.len() as u32 + 1,
        tier,
        round,
        entry_id: winner.id.clone(),
        created_at: ctx.now,
        outcome: Outcome::Drawn,
        outcome_at: None,
    };
    tx.insert_pick(ctx.tenant, draw, &pick).await?;
    let entry = entries
        .iter()
        .find(|e| e.entry_id == winner.id)
        .ok_or_else(|| corrupt("the winner is not in the list"))?;
    let prize = tiers
        .iter()
        .find(|t| t.position == tier)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.picked",
        &d,
        json!({ "seq": pick.seq, "tier": tier, "round": round, "prize": prize,
                "entry": winner.id, "name": entry.name }),
    )
    .await?;
    live::draw_changed(&mut tx, &ev, draw, "picked", ctx.now).await?;
    if let Some(guest) = entry.guest_id {
        live::draw_won(
            &mut tx,
            &ev,
            guest,
            json!({ "draw": draw.to_string(), "name": d.name, "prize": prize,
                    "entry": winner.id }),
            ctx.now,
        )
        .await?;
    }
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(pick)
}

/// "Present" or "Not present" for the latest winner (once). Not present gives the prize a new
/// round: the next pick draws it again; nothing is overwritten.
pub async fn mark(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    seq: u32,
    present: bool,
) -> Result<()> {
    let actor = ctx.require(Action::RunDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    match DrawStatus::of(&d) {
        DrawStatus::Open => return Err(DrawProblem::NotClosed.into()),
        DrawStatus::Finished => return Err(DrawProblem::Finished.into()),
        DrawStatus::Closed => {}
    }
    let picks = tx.list_picks(ctx.tenant, draw).await?;
    match picks.last() {
        Some(last) if last.seq == seq && last.outcome == Outcome::Drawn => {}
        _ => return Err(DrawProblem::NotMarkable.into()),
    }
    let outcome = if present {
        Outcome::Present
    } else {
        Outcome::NotPresent
    };
    tx.insert_outcome(ctx.tenant, draw, seq, outcome, ctx.now)
        .await?;
    audit(
        &mut tx,
        ctx,
        actor,
        if present {
            "draw.present"
        } else {
            "draw.not_present"
        },
        &d,
        json!({ "seq": seq }),
    )
    .await?;
    live::draw_changed(
        &mut tx,
        &ev,
        draw,
        if present { "present" } else { "not_present" },
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(())
}

/// Ends the draw and publishes its seed: from now on anyone can recompute every winner.
pub async fn finish(services: &Services, ctx: &Ctx, event: EventId, draw: DrawId) -> Result<()> {
    let actor = ctx.require(Action::RunDraws)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    match DrawStatus::of(&d) {
        DrawStatus::Open => return Err(DrawProblem::NotClosed.into()),
        DrawStatus::Finished => return Err(DrawProblem::Finished.into()),
        DrawStatus::Closed => {}
    }
    if !tx.finish_draw(ctx.tenant, draw, ctx.now).await? {
        return Err(DrawProblem::Finished.into());
    }
    let seed = d.lock.as_ref().map(|l| l.seed.clone()).unwrap_or_default();
    audit(
        &mut tx,
        ctx,
        actor,
        "draw.finished",
        &d,
        json!({ "seed": seed }),
    )
    .await?;
    live::draw_changed(&mut tx, &ev, draw, "finished", ctx.now).await?;
    crate::notifications::draw_finished(&mut tx, ctx.tenant, draw, ctx.now).await?;
    tx.commit().await?;
    services.live.ring(ctx.tenant, event);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One of the event's draws, for its list.
#[derive(Debug, Clone)]
pub struct DrawSummary {
    pub draw: Draw,
    pub status: DrawStatus,
    pub tiers: Vec<DrawTier>,
    /// Winners of every prize together.
    pub prizes: u32,
}

/// The draws page of an event.
#[derive(Debug, Clone)]
pub struct DrawsView {
    pub event: Event,
    pub draws: Vec<DrawSummary>,
    pub may_manage: bool,
}

/// The event's draws, for a member.
pub async fn list(services: &Services, ctx: &Ctx, event: EventId) -> Result<DrawsView> {
    ctx.require(Action::RunDraws)?;
    let may_manage = ctx.require(Action::ManageDraws).is_ok();
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let mut draws = Vec::new();
    for d in tx.list_draws(ctx.tenant, event).await? {
        let tiers = tx.list_tiers(ctx.tenant, d.id).await?;
        draws.push(DrawSummary {
            status: DrawStatus::of(&d),
            prizes: tiers.iter().map(|t| t.winners).sum(),
            draw: d,
            tiers,
        });
    }
    tx.commit().await?;
    Ok(DrawsView {
        event: ev,
        draws,
        may_manage,
    })
}

/// A guest who would be entered, with their tickets under the draw's rule.
#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub guest: Option<GuestId>,
    pub walk_in: Option<ManualEntryId>,
    pub name: String,
    pub note: Option<String>,
    /// Published photos (guests).
    pub photos: i64,
    pub tickets: u32,
    pub excluded: bool,
    /// Left out because they won one of the event's earlier draws.
    pub earlier_winner: bool,
    /// Their entry id, once the entries closed.
    pub entry: Option<String>,
    /// Their prize, if they won.
    pub won: Option<String>,
}

impl Participant {
    /// A guest who would be entered now (`earlier`: the earlier winners left out).
    fn candidate(c: Candidate, rule: EntryRule, earlier: &HashSet<GuestId>) -> Self {
        let earlier_winner = earlier.contains(&c.guest_id);
        Participant {
            tickets: if c.excluded || earlier_winner {
                0
            } else {
                rule.tickets(u64::try_from(c.published).unwrap_or(0))
            },
            guest: Some(c.guest_id),
            walk_in: None,
            name: c.name,
            note: None,
            photos: c.published,
            excluded: c.excluded,
            earlier_winner,
            entry: None,
            won: None,
        }
    }

    /// A walk-in while entries are open (one ticket).
    fn walk_in(m: &ManualEntry) -> Self {
        Participant {
            guest: None,
            walk_in: Some(m.id),
            name: m.name.clone(),
            note: m.note.clone(),
            photos: 0,
            tickets: 1,
            excluded: false,
            earlier_winner: false,
            entry: None,
            won: None,
        }
    }

    /// An entry of the locked list, with the prize it won.
    fn locked(e: &LockedEntry, won: Option<String>) -> Self {
        Participant {
            guest: e.guest_id,
            walk_in: e.manual_entry_id,
            name: e.name.clone(),
            note: None,
            photos: 0,
            tickets: e.weight,
            excluded: false,
            earlier_winner: false,
            entry: Some(e.entry_id.clone()),
            won,
        }
    }
}

/// The prize each entry won (present, or drawn and not yet called), by entry id.
fn prizes_won(picks: &[PickView]) -> BTreeMap<&str, &str> {
    picks
        .iter()
        .filter(|p| p.outcome != Outcome::NotPresent)
        .map(|p| (p.entry.as_str(), p.prize.as_str()))
        .collect()
}

/// One pick, as members see it.
#[derive(Debug, Clone, Serialize)]
pub struct PickView {
    pub seq: u32,
    pub tier: u32,
    pub round: u32,
    pub prize: String,
    pub entry: String,
    pub name: String,
    /// As the big screen shows it (masked when the draw says so).
    pub shown_name: String,
    #[serde(skip)]
    pub guest: Option<GuestId>,
    pub outcome: Outcome,
}

/// A draw's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DrawStats {
    pub entries: usize,
    pub tickets: u64,
    /// Guests with an entry.
    pub guests_entered: usize,
    /// Guests who joined the event.
    pub guests_joined: i64,
    pub walk_ins: usize,
    /// Winners (present or not yet called) per prize position.
    pub winners: BTreeMap<u32, u32>,
    pub not_present: u32,
}

/// A draw's page for members: its rules and prizes, the participants (with search), the
/// walk-ins, and once closed its entries, picks and figures.
#[derive(Debug, Clone)]
pub struct DrawDetail {
    pub event: Event,
    pub draw: Draw,
    pub status: DrawStatus,
    pub tiers: Vec<DrawTier>,
    pub walk_ins: Vec<ManualEntry>,
    pub participants: Vec<Participant>,
    /// More participants match than the page shows.
    pub more: bool,
    pub search: String,
    pub picks: Vec<PickView>,
    /// The (prize position, round) drawn next, if any.
    pub next: Option<(u32, u32)>,
    pub stats: DrawStats,
    pub may_manage: bool,
    pub may_run: bool,
    /// The event's walls and their link tokens (for members who may see wall links), to open
    /// the draw's screen on a projector: `/w/{token}/draws/{draw}`.
    pub walls: Vec<(String, String)>,
}

/// A finished draw's winners as (prize, name as the screens show it), in the order drawn, for
/// the results mail (`crate::notifications`).
pub(crate) async fn winners_for_mail(
    tx: &mut Tx,
    d: &Draw,
) -> Result<Vec<(String, String)>, StoreError> {
    let tiers = tx.list_tiers(d.tenant_id, d.id).await?;
    let winners = tx.event_winners(d.tenant_id, d.event_id).await?;
    Ok(winners
        .iter()
        .filter(|w| w.draw_id == d.id && w.outcome != Outcome::NotPresent)
        .map(|w| {
            let prize = tiers
                .iter()
                .find(|t| t.position == w.tier)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            (prize, shown(d, &w.name))
        })
        .collect())
}

fn shown(d: &Draw, name: &str) -> String {
    if d.mask_names {
        mask_name(name)
    } else {
        name.to_owned()
    }
}

fn pick_views(
    d: &Draw,
    tiers: &[DrawTier],
    picks: &[DrawPick],
    entries: &[LockedEntry],
) -> Vec<PickView> {
    let by_id: BTreeMap<&str, &LockedEntry> =
        entries.iter().map(|e| (e.entry_id.as_str(), e)).collect();
    picks
        .iter()
        .map(|p| {
            let e = by_id.get(p.entry_id.as_str());
            let name = e.map(|e| e.name.clone()).unwrap_or_default();
            PickView {
                seq: p.seq,
                tier: p.tier,
                round: p.round,
                prize: tiers
                    .iter()
                    .find(|t| t.position == p.tier)
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
                entry: p.entry_id.clone(),
                shown_name: shown(d, &name),
                name,
                guest: e.and_then(|e| e.guest_id),
                outcome: p.outcome,
            }
        })
        .collect()
}

fn stats_of(entries: &[LockedEntry], picks: &[PickView], joined: i64) -> DrawStats {
    let mut s = DrawStats {
        entries: entries.len(),
        tickets: entries.iter().map(|e| u64::from(e.weight)).sum(),
        guests_entered: entries.iter().filter(|e| e.guest_id.is_some()).count(),
        guests_joined: joined,
        walk_ins: entries
            .iter()
            .filter(|e| e.manual_entry_id.is_some())
            .count(),
        ..DrawStats::default()
    };
    for p in picks {
        if p.outcome == Outcome::NotPresent {
            s.not_present += 1;
        } else {
            *s.winners.entry(p.tier).or_default() += 1;
        }
    }
    s
}

/// A draw's page for members (`search`: part of a name).
pub async fn detail(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
    search: &str,
) -> Result<DrawDetail> {
    ctx.require(Action::RunDraws)?;
    let may_manage = ctx.require(Action::ManageDraws).is_ok();
    // A name to look for: no control characters (PostgreSQL refuses a NUL in text).
    let search = search
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect::<String>();
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    let status = DrawStatus::of(&d);
    let tiers = tx.list_tiers(ctx.tenant, draw).await?;
    let walk_ins = tx.list_manual_entries(ctx.tenant, draw).await?;
    let joined = tx.guest_totals(ctx.tenant, event).await?.guests;
    let walls = if ctx.require(Action::ManageEvents).is_ok() {
        tx.list_walls(ctx.tenant, event)
            .await?
            .into_iter()
            .filter(|w| w.revoked_at.is_none())
            .map(|w| {
                let token = crate::walls::wall_token(&services.secret, &w);
                (w.name, token)
            })
            .collect()
    } else {
        Vec::new()
    };
    let needle = search.to_lowercase();
    let (participants, more, picks, stats) = if status == DrawStatus::Open {
        let min = min_published(d.rule);
        let earlier = earlier_winners(&mut tx, &d).await?;
        let found = tx
            .candidates(
                ctx.tenant,
                event,
                draw,
                min,
                (!search.is_empty()).then_some(search.as_str()),
                Some(PAGE + 1),
            )
            .await?;
        let more = found.len() > PAGE as usize;
        let mut list: Vec<Participant> = found
            .into_iter()
            .take(PAGE as usize)
            .map(|c| Participant::candidate(c, d.rule, &earlier))
            .collect();
        list.extend(
            walk_ins
                .iter()
                .filter(|m| needle.is_empty() || m.name.to_lowercase().contains(&needle))
                .map(Participant::walk_in),
        );
        (
            list,
            more,
            Vec::new(),
            DrawStats {
                guests_joined: joined,
                walk_ins: walk_ins.len(),
                ..DrawStats::default()
            },
        )
    } else {
        let entries = tx.list_entries(ctx.tenant, draw).await?;
        let picks = pick_views(
            &d,
            &tiers,
            &tx.list_picks(ctx.tenant, draw).await?,
            &entries,
        );
        let stats = stats_of(&entries, &picks, joined);
        let won = prizes_won(&picks);
        let mut list: Vec<Participant> = entries
            .iter()
            .filter(|e| needle.is_empty() || e.name.to_lowercase().contains(&needle))
            .map(|e| Participant::locked(e, won.get(e.entry_id.as_str()).map(|p| (*p).to_owned())))
            .collect();
        list.sort_by_key(|a| a.name.to_lowercase());
        let more = list.len() > PAGE as usize;
        list.truncate(PAGE as usize);
        (list, more, picks, stats)
    };
    tx.commit().await?;
    let next = if status == DrawStatus::Closed {
        let records: Vec<PickRecord> = picks
            .iter()
            .map(|p| PickRecord {
                tier: p.tier,
                round: p.round,
                entry: p.entry.clone(),
                outcome: p.outcome,
            })
            .collect();
        math::next_pick(&tier_specs(&tiers), &records)
    } else {
        None
    };
    Ok(DrawDetail {
        event: ev,
        draw: d,
        status,
        tiers,
        walk_ins,
        participants,
        more,
        search,
        picks,
        next,
        stats,
        may_manage,
        may_run: true,
        walls,
    })
}

/// Every participant of a draw, for the CSV export (members).
pub async fn participants_csv(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
) -> Result<(Draw, Vec<Participant>)> {
    ctx.require(Action::RunDraws)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    let mut list = Vec::new();
    if d.lock.is_none() {
        let min = min_published(d.rule);
        let earlier = earlier_winners(&mut tx, &d).await?;
        for c in tx
            .candidates(ctx.tenant, event, draw, min, None, None)
            .await?
        {
            list.push(Participant::candidate(c, d.rule, &earlier));
        }
        for m in tx.list_manual_entries(ctx.tenant, draw).await? {
            list.push(Participant::walk_in(&m));
        }
    } else {
        let tiers = tx.list_tiers(ctx.tenant, draw).await?;
        let entries = tx.list_entries(ctx.tenant, draw).await?;
        let picks = pick_views(
            &d,
            &tiers,
            &tx.list_picks(ctx.tenant, draw).await?,
            &entries,
        );
        let won = prizes_won(&picks);
        list.extend(entries.iter().map(|e| {
            Participant::locked(e, won.get(e.entry_id.as_str()).map(|p| (*p).to_owned()))
        }));
    }
    tx.commit().await?;
    Ok((d, list))
}

/// What a screen shows of a draw: the projector, the remote, and (less) the guests' phones.
#[derive(Debug, Clone, Serialize)]
pub struct ShowState {
    pub draw: String,
    pub name: String,
    pub event: String,
    pub status: DrawStatus,
    pub rules: String,
    pub closes_at: Option<String>,
    pub entries: usize,
    pub tickets: u64,
    pub entry_list_hash: Option<String>,
    pub commitment: Option<String>,
    pub phrase: Option<String>,
    /// Only once the draw is over.
    pub seed: Option<String>,
    pub prizes: Vec<PrizeView>,
    pub picks: Vec<ShowPick>,
    /// The pick on screen now (the latest), if any.
    pub current: Option<ShowPick>,
    /// What the next press of "draw" draws.
    pub next: Option<NextView>,
    /// Names and thumbnails for the animation (a sample; the winner comes from the server).
    pub reel: Vec<ReelItem>,
    /// The feed's head when this state was read.
    pub seq: i64,
    pub blank: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrizeView {
    pub position: u32,
    pub name: String,
    pub winners: u32,
    pub won: u32,
    /// The prize picture's URLs (signed).
    pub photo: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShowPick {
    pub seq: u32,
    pub tier: u32,
    pub round: u32,
    pub prize: String,
    pub entry: String,
    pub name: String,
    pub outcome: Outcome,
    /// Their best photo (most reactions), signed URLs.
    pub photo: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextView {
    pub tier: u32,
    pub round: u32,
    pub prize: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReelItem {
    pub name: String,
    pub thumb: Option<Value>,
}

async fn best_photo(
    services: &Services,
    tx: &mut Tx,
    ev: &Event,
    guest: GuestId,
    now: DateTime<Utc>,
) -> Result<Option<Value>> {
    let photos = tx
        .list_guest_photos(ev.tenant_id, ev.id, guest, 100)
        .await?;
    Ok(photos
        .iter()
        .filter(|p| p.status == domain::PhotoStatus::Published)
        .max_by_key(|p| (p.reaction_count, p.created_at))
        .map(|p| live::photo_json(p, &services.secret, now)))
}

async fn show_state(
    services: &Services,
    tx: &mut Tx,
    ev: &Event,
    d: &Draw,
    now: DateTime<Utc>,
) -> Result<ShowState> {
    let tenant = ev.tenant_id;
    let tiers = tx.list_tiers(tenant, d.id).await?;
    let entries = if d.lock.is_some() {
        tx.list_entries(tenant, d.id).await?
    } else {
        Vec::new()
    };
    let raw_picks = tx.list_picks(tenant, d.id).await?;
    let picks = pick_views(d, &tiers, &raw_picks, &entries);
    let head = tx.feed_head(tenant, ev.id).await?;
    let mut prizes = Vec::new();
    for t in &tiers {
        let photo = match t.photo_id {
            Some(p) => tx
                .get_photo(tenant, p)
                .await?
                .filter(|p: &Photo| p.status == domain::PhotoStatus::Published)
                .map(|p| live::photo_json(&p, &services.secret, now)),
            None => None,
        };
        prizes.push(PrizeView {
            position: t.position,
            name: t.name.clone(),
            winners: t.winners,
            won: picks
                .iter()
                .filter(|p| p.tier == t.position && p.outcome != Outcome::NotPresent)
                .count() as u32,
            photo,
        });
    }
    let mut show_picks: Vec<ShowPick> = picks
        .iter()
        .map(|p| ShowPick {
            seq: p.seq,
            tier: p.tier,
            round: p.round,
            prize: p.prize.clone(),
            entry: p.entry.clone(),
            name: p.shown_name.clone(),
            outcome: p.outcome,
            photo: None,
        })
        .collect();
    let current = match (show_picks.last_mut(), picks.last()) {
        (Some(sp), Some(p)) => {
            if let Some(g) = p.guest {
                sp.photo = best_photo(services, tx, ev, g, now).await?;
            }
            Some(sp.clone())
        }
        _ => None,
    };
    let next = if d.lock.is_some() && d.finished_at.is_none() {
        math::next_pick(&tier_specs(&tiers), &pick_records(&raw_picks)).map(|(tier, round)| {
            NextView {
                tier,
                round,
                prize: tiers
                    .iter()
                    .find(|t| t.position == tier)
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
            }
        })
    } else {
        None
    };
    // The reel: up to 24 names of the list (spread over it) and the newest photos' thumbnails.
    let step = (entries.len() / 24).max(1);
    let names: Vec<String> = entries
        .iter()
        .step_by(step)
        .take(24)
        .map(|e| shown(d, &e.name))
        .collect();
    let thumbs = tx.wall_photos(tenant, ev.id, 24).await?;
    let reel = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| ReelItem {
            name,
            thumb: (!thumbs.is_empty())
                .then(|| live::photo_json(&thumbs[i % thumbs.len()], &services.secret, now)),
        })
        .collect();
    let lock = d.lock.as_ref();
    Ok(ShowState {
        draw: d.id.to_string(),
        name: d.name.clone(),
        event: ev.name.clone(),
        status: DrawStatus::of(d),
        rules: lock
            .map(|l| l.rules_text.clone())
            .unwrap_or_else(|| draw_rules::rules_text(d.rule, d.exclude_earlier_winners, 0)),
        closes_at: d
            .closes_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        entries: entries.len(),
        tickets: entries.iter().map(|e| u64::from(e.weight)).sum(),
        entry_list_hash: lock.map(|l| l.entry_list_hash.clone()),
        commitment: lock.map(|l| l.commitment.clone()),
        phrase: d.phrase.clone(),
        seed: d.finished_at.and(lock).map(|l| l.seed.clone()),
        prizes,
        picks: show_picks,
        current,
        next,
        reel,
        seq: head.seq,
        blank: head.walls_blank,
    })
}

/// The draw's state for a member's screen or remote.
pub async fn member_show(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    draw: DrawId,
) -> Result<ShowState> {
    ctx.require(Action::RunDraws)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let ev = event_of(&mut tx, ctx.tenant, event).await?;
    let d = draw_of(&mut tx, ctx.tenant, event, draw).await?;
    let state = show_state(services, &mut tx, &ev, &d, ctx.now).await?;
    tx.commit().await?;
    Ok(state)
}

/// The draw's state for a projector opened from a wall's link (a draw of the wall's event).
pub async fn wall_show(services: &Services, wall: &OpenWall, draw: DrawId) -> Result<ShowState> {
    let tenant = wall.event.tenant_id;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let d = draw_of(&mut tx, tenant, wall.event.id, draw).await?;
    let state = show_state(services, &mut tx, &wall.event, &d, services.now()).await?;
    tx.commit().await?;
    Ok(state)
}

/// The draws of a wall's event (for the wall page's links to them).
pub async fn wall_draws(services: &Services, wall: &OpenWall) -> Result<Vec<Draw>> {
    let tenant = wall.event.tenant_id;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let draws = tx.list_draws(tenant, wall.event.id).await?;
    tx.commit().await?;
    Ok(draws)
}

/// One draw as a guest sees it on their event page.
#[derive(Debug, Clone, Serialize)]
pub struct GuestDraw {
    pub draw: String,
    pub name: String,
    pub status: DrawStatus,
    pub rules: String,
    /// Their tickets: counted from their published photos while entries are open, from the
    /// locked list after.
    pub entries: u32,
    /// Their entry ids in the published list (after the close).
    pub entry_ids: Vec<String>,
    /// The prize they won, if any.
    pub won: Option<String>,
    /// Winners so far (prize and name as the screen shows it).
    pub winners: Vec<(String, String)>,
    /// The public page (entry list, commitment, verification).
    pub public_path: String,
}

/// The draws of the guest's event, with their own entries and the winners.
pub async fn guest_draws(services: &Services, ctx: &Ctx, event: EventId) -> Result<Vec<GuestDraw>> {
    let guest = ctx.guest_of(event).ok_or(Error::NotFound)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let draws = tx.list_draws(ctx.tenant, event).await?;
    if draws.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let published = tx
        .guest_figures(ctx.tenant, event, guest)
        .await?
        .map(|f| f.published)
        .unwrap_or(0);
    let winners = tx.event_winners(ctx.tenant, event).await?;
    let mut out = Vec::new();
    for d in draws {
        let status = DrawStatus::of(&d);
        let (entries, entry_ids) = if d.lock.is_some() {
            let mine = tx.entries_of_guest(ctx.tenant, d.id, guest).await?;
            (
                mine.iter().map(|e| e.weight).sum(),
                mine.into_iter().map(|e| e.entry_id).collect(),
            )
        } else {
            let excluded = tx.is_excluded(ctx.tenant, d.id, guest).await?;
            let earlier = d.exclude_earlier_winners
                && winners.iter().any(|w| {
                    w.draw_id != d.id
                        && w.guest_id == Some(guest)
                        && w.outcome != Outcome::NotPresent
                });
            let tickets = if excluded || earlier {
                0
            } else {
                d.rule.tickets(u64::try_from(published).unwrap_or(0))
            };
            (tickets, Vec::new())
        };
        let tiers = tx.list_tiers(ctx.tenant, d.id).await?;
        let prize = |tier: u32| {
            tiers
                .iter()
                .find(|t| t.position == tier)
                .map(|t| t.name.clone())
                .unwrap_or_default()
        };
        let mine_won = winners
            .iter()
            .find(|w| {
                w.draw_id == d.id && w.guest_id == Some(guest) && w.outcome != Outcome::NotPresent
            })
            .map(|w| prize(w.tier));
        let list = winners
            .iter()
            .filter(|w| w.draw_id == d.id && w.outcome != Outcome::NotPresent)
            .map(|w| (prize(w.tier), shown(&d, &w.name)))
            .collect();
        out.push(GuestDraw {
            public_path: format!("/d/{}/{}", d.tenant_id, d.id),
            draw: d.id.to_string(),
            rules: d
                .lock
                .as_ref()
                .map(|l| l.rules_text.clone())
                .unwrap_or_else(|| draw_rules::rules_text(d.rule, d.exclude_earlier_winners, 0)),
            name: d.name,
            status,
            entries,
            entry_ids,
            won: mine_won,
            winners: list,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// A draw's public page: its record (no names), and for a guest of the event their own ids.
#[derive(Debug, Clone)]
pub struct PublicDraw {
    pub export: DrawExport,
    pub status: DrawStatus,
    pub closes_at: Option<DateTime<Utc>>,
    pub event_name: String,
    pub stats: DrawStats,
}

/// Anyone's view of a draw (the public page and its export): the rules, and once the entries
/// closed the entry list (opaque ids and weights), the hash, the commitment, the phrase, the
/// picks, and once over the seed. No names, no guest ids.
pub async fn public(services: &Services, tenant: TenantId, draw: DrawId) -> Result<PublicDraw> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let d = tx.get_draw(tenant, draw).await?.ok_or(Error::NotFound)?;
    let ev = event_of(&mut tx, tenant, d.event_id).await?;
    let tiers = tx.list_tiers(tenant, draw).await?;
    let entries = if d.lock.is_some() {
        tx.list_entries(tenant, draw).await?
    } else {
        Vec::new()
    };
    let picks = tx.list_picks(tenant, draw).await?;
    let joined = tx.guest_totals(tenant, d.event_id).await?.guests;
    tx.commit().await?;
    let views = pick_views(&d, &tiers, &picks, &entries);
    let stats = stats_of(&entries, &views, joined);
    let lock = d.lock.as_ref();
    let export = DrawExport {
        format: math::EXPORT_FORMAT.to_owned(),
        draw: d.id.to_string(),
        name: d.name.clone(),
        event: ev.name.clone(),
        rules: lock
            .map(|l| l.rules_text.clone())
            .unwrap_or_else(|| draw_rules::rules_text(d.rule, d.exclude_earlier_winners, 0)),
        closed_at: lock
            .map(|l| l.closed_at.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default(),
        entries: public_entries(&entries),
        entry_list_hash: lock.map(|l| l.entry_list_hash.clone()).unwrap_or_default(),
        commitment: lock.map(|l| l.commitment.clone()).unwrap_or_default(),
        phrase: d.phrase.clone(),
        seed: d.finished_at.and(lock).map(|l| l.seed.clone()),
        tiers: tier_specs(&tiers),
        picks: pick_records(&picks),
    };
    Ok(PublicDraw {
        status: DrawStatus::of(&d),
        closes_at: d.closes_at,
        event_name: ev.name,
        export,
        stats,
    })
}
