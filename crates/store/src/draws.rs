//! Lucky draws (tenant-scoped, under RLS): their rules and prizes while entries are open, then
//! the locked entry list, the picks and their outcomes, append-only (migration 0018; docs/DRAW.md).
//!
//! The lock is enforced by the database on both backends, not only here: once a draw's
//! `closed_at` is set, triggers refuse any change to its rules, tiers, manual entries and
//! exclusions, and `draw_entries`, `draw_picks` and `draw_outcomes` refuse every UPDATE and
//! DELETE (a refused write is [`StoreError::Locked`]). Only the progress columns of `draws`
//! (the stage phrase, once; the finish, once) may still be set.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::draw::Outcome;
use domain::{DrawId, EntryRule, EventId, GuestId, ManualEntryId, PhotoId, TenantId, UserId};
use uuid::Uuid;

use crate::events::like_pattern;
use crate::sql::{Arg, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, Result, StoreError, Tx};

/// A draw as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub id: DrawId,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    pub name: String,
    pub rule: EntryRule,
    /// Guests who won (present or not yet called) in the event's other draws are not entered.
    pub exclude_earlier_winners: bool,
    /// The big screen shows "Anna B." rather than the whole name.
    pub mask_names: bool,
    /// When a job closes the entries (None: closed by hand).
    pub closes_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the entries closed; from then on the draw is locked.
    pub lock: Option<DrawLock>,
    /// The stage phrase, once typed (before the first pick).
    pub phrase: Option<String>,
    pub phrase_at: Option<DateTime<Utc>>,
    /// When the draw ended (the seed may be published from then on).
    pub finished_at: Option<DateTime<Utc>>,
}

/// What closing the entries fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawLock {
    pub closed_at: DateTime<Utc>,
    /// The rules in words, as published.
    pub rules_text: String,
    /// Hex SHA-256 of the canonical entry list.
    pub entry_list_hash: String,
    /// Hex SHA-256 of the seed.
    pub commitment: String,
    /// Hex of the 32-byte seed: secret until `finished_at` (never shown before).
    pub seed: String,
}

/// One prize tier: drawn in `position` order (1 first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawTier {
    pub position: u32,
    pub name: String,
    pub winners: u32,
    /// A picture of the prize (a photo of the event).
    pub photo_id: Option<PhotoId>,
}

/// A walk-in entered by hand while entries are open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualEntry {
    pub id: ManualEntryId,
    pub draw_id: DrawId,
    pub name: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A guest who would be entered if the entries closed now: their published photos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub guest_id: GuestId,
    pub name: String,
    pub published: i64,
    /// A member excluded them from this draw.
    pub excluded: bool,
}

/// One entry of the locked list: its opaque public id, its weight, and (never published) whom it
/// stands for and their name when the entries closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedEntry {
    pub entry_id: String,
    pub weight: u32,
    /// Exactly one of `guest_id` and `manual_entry_id` is set.
    pub guest_id: Option<GuestId>,
    pub manual_entry_id: Option<ManualEntryId>,
    pub name: String,
}

/// One pick, as recorded, with its outcome once a member gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawPick {
    /// 1, 2, 3 … in the order drawn.
    pub seq: u32,
    pub tier: u32,
    pub round: u32,
    pub entry_id: String,
    pub created_at: DateTime<Utc>,
    /// `Drawn` until an outcome is recorded.
    pub outcome: Outcome,
    pub outcome_at: Option<DateTime<Utc>>,
}

/// A winner of one of the event's draws (for the guest page and for "earlier winners").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventWinner {
    pub draw_id: DrawId,
    pub seq: u32,
    pub tier: u32,
    pub entry_id: String,
    pub guest_id: Option<GuestId>,
    pub name: String,
    pub outcome: Outcome,
}

pub trait DrawRepo {
    fn insert_draw(&mut self, draw: &Draw) -> impl Future<Output = Result<()>> + Send;
    fn get_draw(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<Option<Draw>>> + Send;
    /// The event's draws, oldest first (at most 100).
    fn list_draws(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<Draw>>> + Send;
    /// Saves name, rule, toggles and `closes_at` of an open draw (`updated_at` too). False when
    /// there is no such draw; [`StoreError::Locked`](crate::StoreError::Locked) once it closed.
    fn update_draw(&mut self, draw: &Draw) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes an open draw with its tiers, manual entries and exclusions; Locked once closed.
    fn delete_draw(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Replaces the tiers of an open draw (Locked once closed).
    fn replace_tiers(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        tiers: &[DrawTier],
    ) -> impl Future<Output = Result<()>> + Send;
    /// The tiers by position.
    fn list_tiers(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<Vec<DrawTier>>> + Send;

    fn insert_manual_entry(
        &mut self,
        tenant: TenantId,
        entry: &ManualEntry,
    ) -> impl Future<Output = Result<()>> + Send;
    /// False when there is no such entry; Locked once the draw closed.
    fn delete_manual_entry(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        entry: ManualEntryId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Oldest first (at most 1,000).
    fn list_manual_entries(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<Vec<ManualEntry>>> + Send;

    /// Excludes a guest of the draw's event from it (`excluded`) or lets them back in.
    /// Locked once the draw closed.
    fn set_excluded(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        guest: GuestId,
        excluded: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    fn is_excluded(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        guest: GuestId,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn count_excluded(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<i64>> + Send;

    /// Guests of the event with at least `min_published` photos in the gallery (the figure kept
    /// on their row), by name then id, the name containing `search` (case-insensitive) when
    /// given, with whether they are excluded from `draw`. `limit` None: all of them (closing).
    fn candidates(
        &mut self,
        tenant: TenantId,
        event: EventId,
        draw: DrawId,
        min_published: i64,
        search: Option<&str>,
        limit: Option<u32>,
    ) -> impl Future<Output = Result<Vec<Candidate>>> + Send;

    /// Locks an open draw: sets its [`DrawLock`] (and `updated_at`) and stores its entries, in
    /// one go. False when it was no longer open.
    fn close_draw(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        lock: &DrawLock,
        entries: &[LockedEntry],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The locked entries by entry id.
    fn list_entries(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<Vec<LockedEntry>>> + Send;
    /// The locked entries of one guest.
    fn entries_of_guest(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        guest: GuestId,
    ) -> impl Future<Output = Result<Vec<LockedEntry>>> + Send;
    /// One locked entry by its id.
    fn get_entry(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        entry_id: &str,
    ) -> impl Future<Output = Result<Option<LockedEntry>>> + Send;

    /// Records the stage phrase of a closed draw that has no phrase and no pick yet. False
    /// otherwise.
    fn set_phrase(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        phrase: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Ends a closed draw. False when it is not closed or already finished.
    fn finish_draw(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Appends a pick (its `outcome` is ignored: a new pick is `Drawn`). Unique per (draw, seq),
    /// per (draw, tier, round) and per (draw, entry): a second win of one entry, or a second
    /// pick for one slot, is a [`StoreError::Conflict`](crate::StoreError::Conflict).
    fn insert_pick(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        pick: &DrawPick,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Appends the outcome of pick `seq` (present or not present; once per pick: a second is a
    /// Conflict).
    fn insert_outcome(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        seq: u32,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every pick of the draw by seq, with its outcome.
    fn list_picks(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> impl Future<Output = Result<Vec<DrawPick>>> + Send;
    /// Every pick of every draw of the event, with the entry's guest and name (for the guest
    /// page's winners and the "earlier winners" exclusion), by draw creation then seq.
    fn event_winners(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<EventWinner>>> + Send;
}

/// Locked entries per multi-row INSERT when a draw closes: 7 values a row keeps a chunk far
/// below either backend's limit on bound values, and 100,000 entries take 200 statements.
const ENTRY_CHUNK: usize = 500;

const DRAW_COLUMNS: &str = "tenant_id, id, event_id, name, rule_kind, rule_n, \
     exclude_earlier_winners, mask_names, closes_at, created_by, created_at, updated_at, \
     closed_at, rules_text, entry_list_hash, commitment, seed, phrase, phrase_at, finished_at";

const ENTRY_COLUMNS: &str = "entry_id, weight, guest_id, manual_entry_id, name";

#[derive(sqlx::FromRow)]
struct DrawRow {
    tenant_id: Uuid,
    id: Uuid,
    event_id: Uuid,
    name: String,
    rule_kind: String,
    rule_n: i32,
    exclude_earlier_winners: bool,
    mask_names: bool,
    closes_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    rules_text: Option<String>,
    entry_list_hash: Option<String>,
    commitment: Option<String>,
    seed: Option<String>,
    phrase: Option<String>,
    phrase_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<DrawRow> for Draw {
    type Error = StoreError;

    fn try_from(r: DrawRow) -> Result<Self> {
        let rule = u32::try_from(r.rule_n)
            .ok()
            .and_then(|n| EntryRule::from_parts(&r.rule_kind, n))
            .ok_or_else(|| StoreError::Corrupt {
                column: "draws.rule_kind",
                reason: format!("unknown entry rule {:?} {}", r.rule_kind, r.rule_n),
            })?;
        let lock = match r.closed_at {
            None => None,
            Some(closed_at) => Some(DrawLock {
                closed_at,
                rules_text: lock_part(r.rules_text, "draws.rules_text")?,
                entry_list_hash: lock_part(r.entry_list_hash, "draws.entry_list_hash")?,
                commitment: lock_part(r.commitment, "draws.commitment")?,
                seed: lock_part(r.seed, "draws.seed")?,
            }),
        };
        Ok(Draw {
            id: DrawId::from_uuid(r.id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            event_id: EventId::from_uuid(r.event_id),
            name: r.name,
            rule,
            exclude_earlier_winners: r.exclude_earlier_winners,
            mask_names: r.mask_names,
            closes_at: r.closes_at,
            created_by: r.created_by.map(UserId::from_uuid),
            created_at: r.created_at,
            updated_at: r.updated_at,
            lock,
            phrase: r.phrase,
            phrase_at: r.phrase_at,
            finished_at: r.finished_at,
        })
    }
}

/// One part of a closed draw's lock, which the schema sets together with `closed_at`.
fn lock_part(value: Option<String>, column: &'static str) -> Result<String> {
    value.ok_or_else(|| StoreError::Corrupt {
        column,
        reason: "missing on a closed draw".into(),
    })
}

#[derive(sqlx::FromRow)]
struct TierRow {
    position: i32,
    name: String,
    winners: i32,
    photo_id: Option<Uuid>,
}

impl TryFrom<TierRow> for DrawTier {
    type Error = StoreError;

    fn try_from(r: TierRow) -> Result<Self> {
        Ok(DrawTier {
            position: to_u32(r.position, "draw_tiers.position")?,
            name: r.name,
            winners: to_u32(r.winners, "draw_tiers.winners")?,
            photo_id: r.photo_id.map(PhotoId::from_uuid),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ManualEntryRow {
    id: Uuid,
    draw_id: Uuid,
    name: String,
    note: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<ManualEntryRow> for ManualEntry {
    fn from(r: ManualEntryRow) -> Self {
        ManualEntry {
            id: ManualEntryId::from_uuid(r.id),
            draw_id: DrawId::from_uuid(r.draw_id),
            name: r.name,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: Uuid,
    name: String,
    published: i64,
    excluded: bool,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    entry_id: String,
    weight: i32,
    guest_id: Option<Uuid>,
    manual_entry_id: Option<Uuid>,
    name: String,
}

impl TryFrom<EntryRow> for LockedEntry {
    type Error = StoreError;

    fn try_from(r: EntryRow) -> Result<Self> {
        if r.guest_id.is_some() == r.manual_entry_id.is_some() {
            return Err(StoreError::Corrupt {
                column: "draw_entries.guest_id",
                reason: "an entry stands for exactly one guest or manual entry".into(),
            });
        }
        Ok(LockedEntry {
            entry_id: r.entry_id,
            weight: to_u32(r.weight, "draw_entries.weight")?,
            guest_id: r.guest_id.map(GuestId::from_uuid),
            manual_entry_id: r.manual_entry_id.map(ManualEntryId::from_uuid),
            name: r.name,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PickRow {
    seq: i32,
    tier: i32,
    round: i32,
    entry_id: String,
    created_at: DateTime<Utc>,
    outcome: Option<String>,
    outcome_at: Option<DateTime<Utc>>,
}

impl TryFrom<PickRow> for DrawPick {
    type Error = StoreError;

    fn try_from(r: PickRow) -> Result<Self> {
        Ok(DrawPick {
            seq: to_u32(r.seq, "draw_picks.seq")?,
            tier: to_u32(r.tier, "draw_picks.tier")?,
            round: to_u32(r.round, "draw_picks.round")?,
            entry_id: r.entry_id,
            created_at: r.created_at,
            outcome: outcome_from(r.outcome.as_deref())?,
            outcome_at: r.outcome_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct WinnerRow {
    draw_id: Uuid,
    seq: i32,
    tier: i32,
    entry_id: String,
    guest_id: Option<Uuid>,
    name: String,
    outcome: Option<String>,
}

impl TryFrom<WinnerRow> for EventWinner {
    type Error = StoreError;

    fn try_from(r: WinnerRow) -> Result<Self> {
        Ok(EventWinner {
            draw_id: DrawId::from_uuid(r.draw_id),
            seq: to_u32(r.seq, "draw_picks.seq")?,
            tier: to_u32(r.tier, "draw_picks.tier")?,
            entry_id: r.entry_id,
            guest_id: r.guest_id.map(GuestId::from_uuid),
            name: r.name,
            outcome: outcome_from(r.outcome.as_deref())?,
        })
    }
}

/// The stored word for an outcome. `Drawn` is never stored (no outcome row yet): the column's
/// CHECK refuses it.
fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Drawn => "drawn",
        Outcome::Present => "present",
        Outcome::NotPresent => "not_present",
    }
}

/// A pick's outcome from its outcome row (none yet: drawn, not called).
fn outcome_from(stored: Option<&str>) -> Result<Outcome> {
    match stored {
        None => Ok(Outcome::Drawn),
        Some("present") => Ok(Outcome::Present),
        Some("not_present") => Ok(Outcome::NotPresent),
        Some(other) => Err(StoreError::Corrupt {
            column: "draw_outcomes.outcome",
            reason: format!("unknown outcome {other:?}"),
        }),
    }
}

fn to_u32(n: i32, column: &'static str) -> Result<u32> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt {
        column,
        reason: format!("{n} is negative"),
    })
}

/// For `integer` columns: the numbers here (positions, winners, weights, seq) are small.
fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn draw_args(d: &Draw) -> Vec<Arg> {
    let (kind, n) = d.rule.parts();
    let lock = d.lock.as_ref();
    vec![
        Arg::Uuid(d.tenant_id.as_uuid()),
        Arg::Uuid(d.id.as_uuid()),
        Arg::Uuid(d.event_id.as_uuid()),
        Arg::Text(d.name.clone()),
        Arg::Text(kind.to_owned()),
        Arg::Int32(to_i32(n)),
        Arg::Bool(d.exclude_earlier_winners),
        Arg::Bool(d.mask_names),
        Arg::OptTime(d.closes_at),
        Arg::OptUuid(d.created_by.map(|u| u.as_uuid())),
        Arg::Time(d.created_at),
        Arg::Time(d.updated_at),
        Arg::OptTime(lock.map(|l| l.closed_at)),
        Arg::OptText(lock.map(|l| l.rules_text.clone())),
        Arg::OptText(lock.map(|l| l.entry_list_hash.clone())),
        Arg::OptText(lock.map(|l| l.commitment.clone())),
        Arg::OptText(lock.map(|l| l.seed.clone())),
        Arg::OptText(d.phrase.clone()),
        Arg::OptTime(d.phrase_at),
        Arg::OptTime(d.finished_at),
    ]
}

/// Where a draw stands, for the methods that may only change an open one.
enum DrawState {
    Missing,
    Open,
    Closed,
}

async fn draw_state(tx: &mut Tx, tenant: TenantId, draw: DrawId) -> Result<DrawState> {
    // On PostgreSQL the row is read FOR SHARE: a change to the setup of an open draw then waits
    // for a close under way (which holds the row from its first step) and sees it closed, rather
    // than slipping in beside it. SQLite has one writer at a time and no row locks.
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT closed_at FROM draws WHERE tenant_id = ? AND id = ?",
        Backend::Postgres => "SELECT closed_at FROM draws WHERE tenant_id = ? AND id = ? FOR SHARE",
    };
    let row: Option<(Option<DateTime<Utc>>,)> = fetch_optional(
        tx,
        tenant,
        sql,
        &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
    )
    .await?;
    Ok(match row {
        None => DrawState::Missing,
        Some((None,)) => DrawState::Open,
        Some((Some(_),)) => DrawState::Closed,
    })
}

/// Refuses a change to the setup of a closed draw here already (the triggers stand behind
/// this), and a change to a draw that does not exist.
async fn require_open(tx: &mut Tx, tenant: TenantId, draw: DrawId) -> Result<()> {
    match draw_state(tx, tenant, draw).await? {
        DrawState::Open => Ok(()),
        DrawState::Closed => Err(StoreError::Locked),
        DrawState::Missing => Err(StoreError::MissingReference),
    }
}

impl DrawRepo for Tx {
    async fn insert_draw(&mut self, d: &Draw) -> Result<()> {
        execute(
            self,
            d.tenant_id,
            &format!(
                "INSERT INTO draws ({DRAW_COLUMNS}) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            &draw_args(d),
        )
        .await
        .map_err(|e| e.conflict_on("draw"))?;
        Ok(())
    }

    async fn get_draw(&mut self, tenant: TenantId, draw: DrawId) -> Result<Option<Draw>> {
        let row: Option<DrawRow> = fetch_optional(
            self,
            tenant,
            &format!("SELECT {DRAW_COLUMNS} FROM draws WHERE tenant_id = ? AND id = ?"),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        row.map(Draw::try_from).transpose()
    }

    async fn list_draws(&mut self, tenant: TenantId, event: EventId) -> Result<Vec<Draw>> {
        // The index draws_by_event.
        let rows: Vec<DrawRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {DRAW_COLUMNS} FROM draws WHERE tenant_id = ? AND event_id = ? \
                 ORDER BY created_at, id LIMIT 100"
            ),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        rows.into_iter().map(Draw::try_from).collect()
    }

    async fn update_draw(&mut self, d: &Draw) -> Result<bool> {
        let (kind, n) = d.rule.parts();
        let changed = execute(
            self,
            d.tenant_id,
            "UPDATE draws SET name = ?, rule_kind = ?, rule_n = ?, exclude_earlier_winners = ?, \
             mask_names = ?, closes_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND closed_at IS NULL",
            &[
                Arg::Text(d.name.clone()),
                Arg::Text(kind.to_owned()),
                Arg::Int32(to_i32(n)),
                Arg::Bool(d.exclude_earlier_winners),
                Arg::Bool(d.mask_names),
                Arg::OptTime(d.closes_at),
                Arg::Time(d.updated_at),
                Arg::Uuid(d.tenant_id.as_uuid()),
                Arg::Uuid(d.id.as_uuid()),
            ],
        )
        .await?;
        if changed > 0 {
            return Ok(true);
        }
        match draw_state(self, d.tenant_id, d.id).await? {
            DrawState::Missing => Ok(false),
            DrawState::Open | DrawState::Closed => Err(StoreError::Locked),
        }
    }

    async fn delete_draw(&mut self, tenant: TenantId, draw: DrawId) -> Result<bool> {
        // Tiers, manual entries and exclusions go by ON DELETE CASCADE.
        let deleted = execute(
            self,
            tenant,
            "DELETE FROM draws WHERE tenant_id = ? AND id = ? AND closed_at IS NULL",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        if deleted > 0 {
            return Ok(true);
        }
        match draw_state(self, tenant, draw).await? {
            DrawState::Missing => Ok(false),
            DrawState::Open | DrawState::Closed => Err(StoreError::Locked),
        }
    }

    async fn replace_tiers(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        tiers: &[DrawTier],
    ) -> Result<()> {
        require_open(self, tenant, draw).await?;
        execute(
            self,
            tenant,
            "DELETE FROM draw_tiers WHERE tenant_id = ? AND draw_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        for t in tiers {
            execute(
                self,
                tenant,
                "INSERT INTO draw_tiers (tenant_id, draw_id, position, name, winners, photo_id) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                &[
                    Arg::Uuid(tenant.as_uuid()),
                    Arg::Uuid(draw.as_uuid()),
                    Arg::Int32(to_i32(t.position)),
                    Arg::Text(t.name.clone()),
                    Arg::Int32(to_i32(t.winners)),
                    Arg::OptUuid(t.photo_id.map(|p| p.as_uuid())),
                ],
            )
            .await
            .map_err(|e| e.conflict_on("tier position"))?;
        }
        Ok(())
    }

    async fn list_tiers(&mut self, tenant: TenantId, draw: DrawId) -> Result<Vec<DrawTier>> {
        let rows: Vec<TierRow> = fetch_all(
            self,
            tenant,
            "SELECT position, name, winners, photo_id FROM draw_tiers \
             WHERE tenant_id = ? AND draw_id = ? ORDER BY position",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        rows.into_iter().map(DrawTier::try_from).collect()
    }

    async fn insert_manual_entry(&mut self, tenant: TenantId, e: &ManualEntry) -> Result<()> {
        require_open(self, tenant, e.draw_id).await?;
        execute(
            self,
            tenant,
            "INSERT INTO draw_manual_entries (tenant_id, id, draw_id, name, note, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(e.id.as_uuid()),
                Arg::Uuid(e.draw_id.as_uuid()),
                Arg::Text(e.name.clone()),
                Arg::OptText(e.note.clone()),
                Arg::Time(e.created_at),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("manual entry"))?;
        Ok(())
    }

    async fn delete_manual_entry(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        entry: ManualEntryId,
    ) -> Result<bool> {
        match draw_state(self, tenant, draw).await? {
            DrawState::Missing => return Ok(false),
            DrawState::Closed => return Err(StoreError::Locked),
            DrawState::Open => {}
        }
        let deleted = execute(
            self,
            tenant,
            "DELETE FROM draw_manual_entries WHERE tenant_id = ? AND draw_id = ? AND id = ?",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
                Arg::Uuid(entry.as_uuid()),
            ],
        )
        .await?;
        Ok(deleted > 0)
    }

    async fn list_manual_entries(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
    ) -> Result<Vec<ManualEntry>> {
        // The index draw_manual_entries_by_draw.
        let rows: Vec<ManualEntryRow> = fetch_all(
            self,
            tenant,
            "SELECT id, draw_id, name, note, created_at FROM draw_manual_entries \
             WHERE tenant_id = ? AND draw_id = ? ORDER BY created_at, id LIMIT 1000",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        Ok(rows.into_iter().map(ManualEntry::from).collect())
    }

    async fn set_excluded(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        guest: GuestId,
        excluded: bool,
    ) -> Result<()> {
        require_open(self, tenant, draw).await?;
        let args = [
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(draw.as_uuid()),
            Arg::Uuid(guest.as_uuid()),
        ];
        if !excluded {
            execute(
                self,
                tenant,
                "DELETE FROM draw_exclusions WHERE tenant_id = ? AND draw_id = ? AND guest_id = ?",
                &args,
            )
            .await?;
            return Ok(());
        }
        // Only a guest of the draw's own event (the foreign key alone would take any guest of
        // the organization).
        let inserted = execute(
            self,
            tenant,
            "INSERT INTO draw_exclusions (tenant_id, draw_id, guest_id) \
             SELECT d.tenant_id, d.id, g.id FROM draws d \
             JOIN guests g ON g.tenant_id = d.tenant_id AND g.event_id = d.event_id \
             WHERE d.tenant_id = ? AND d.id = ? AND g.id = ? \
             ON CONFLICT (tenant_id, draw_id, guest_id) DO NOTHING",
            &args,
        )
        .await?;
        if inserted == 0 && !self.is_excluded(tenant, draw, guest).await? {
            return Err(StoreError::MissingReference);
        }
        Ok(())
    }

    async fn is_excluded(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        guest: GuestId,
    ) -> Result<bool> {
        let row: Option<(i32,)> = fetch_optional(
            self,
            tenant,
            "SELECT 1 FROM draw_exclusions WHERE tenant_id = ? AND draw_id = ? AND guest_id = ?",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
            ],
        )
        .await?;
        Ok(row.is_some())
    }

    async fn count_excluded(&mut self, tenant: TenantId, draw: DrawId) -> Result<i64> {
        let (n,): (i64,) = fetch_one(
            self,
            tenant,
            "SELECT count(*) FROM draw_exclusions WHERE tenant_id = ? AND draw_id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        Ok(n)
    }

    async fn candidates(
        &mut self,
        tenant: TenantId,
        event: EventId,
        draw: DrawId,
        min_published: i64,
        search: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<Candidate>> {
        // The guests' own `published` figure (migration 0013), in name order along the index
        // guests_by_name (this migration); the exclusions by their primary key.
        let mut sql = String::from(
            "SELECT g.id, g.name, g.published, x.guest_id IS NOT NULL AS excluded \
             FROM guests g LEFT JOIN draw_exclusions x \
               ON x.tenant_id = g.tenant_id AND x.draw_id = ? AND x.guest_id = g.id \
             WHERE g.tenant_id = ? AND g.event_id = ? AND g.published >= ?",
        );
        let mut args = vec![
            Arg::Uuid(draw.as_uuid()),
            Arg::Uuid(tenant.as_uuid()),
            Arg::Uuid(event.as_uuid()),
            Arg::Int(min_published),
        ];
        if let Some(text) = search.map(str::trim).filter(|t| !t.is_empty()) {
            sql.push_str(" AND lower(g.name) LIKE ? ESCAPE '\\'");
            args.push(Arg::Text(like_pattern(text)));
        }
        sql.push_str(" ORDER BY g.name, g.id");
        if let Some(limit) = limit {
            sql.push_str(" LIMIT ?");
            args.push(Arg::Int(i64::from(limit)));
        }
        let rows: Vec<CandidateRow> = fetch_all(self, tenant, &sql, &args).await?;
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                guest_id: GuestId::from_uuid(r.id),
                name: r.name,
                published: r.published,
                excluded: r.excluded,
            })
            .collect())
    }

    async fn close_draw(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        lock: &DrawLock,
        entries: &[LockedEntry],
    ) -> Result<bool> {
        let key = [Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())];
        // First take the draw's row (on PostgreSQL a row lock: a second closer waits here, then
        // finds it closed and stops), and learn whether it is still open.
        let open = execute(
            self,
            tenant,
            "UPDATE draws SET updated_at = ? WHERE tenant_id = ? AND id = ? AND closed_at IS NULL",
            &[Arg::Time(lock.closed_at), key[0].clone(), key[1].clone()],
        )
        .await?;
        if open == 0 {
            return Ok(false);
        }
        // The entries before closed_at: the triggers take entries only into an open draw.
        for chunk in entries.chunks(ENTRY_CHUNK) {
            let mut sql = String::with_capacity(128 + chunk.len() * 24);
            sql.push_str("INSERT INTO draw_entries (tenant_id, draw_id, ");
            sql.push_str(ENTRY_COLUMNS);
            sql.push_str(") VALUES ");
            let mut args = Vec::with_capacity(chunk.len() * 7);
            for (i, e) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
                args.extend([
                    key[0].clone(),
                    key[1].clone(),
                    Arg::Text(e.entry_id.clone()),
                    Arg::Int32(to_i32(e.weight)),
                    Arg::OptUuid(e.guest_id.map(|g| g.as_uuid())),
                    Arg::OptUuid(e.manual_entry_id.map(|m| m.as_uuid())),
                    Arg::Text(e.name.clone()),
                ]);
            }
            execute(self, tenant, &sql, &args)
                .await
                .map_err(|e| e.conflict_on("entry"))?;
        }
        let closed = execute(
            self,
            tenant,
            "UPDATE draws SET closed_at = ?, rules_text = ?, entry_list_hash = ?, \
             commitment = ?, seed = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND closed_at IS NULL",
            &[
                Arg::Time(lock.closed_at),
                Arg::Text(lock.rules_text.clone()),
                Arg::Text(lock.entry_list_hash.clone()),
                Arg::Text(lock.commitment.clone()),
                Arg::Text(lock.seed.clone()),
                Arg::Time(lock.closed_at),
                key[0].clone(),
                key[1].clone(),
            ],
        )
        .await?;
        Ok(closed > 0)
    }

    async fn list_entries(&mut self, tenant: TenantId, draw: DrawId) -> Result<Vec<LockedEntry>> {
        let rows: Vec<EntryRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM draw_entries WHERE tenant_id = ? AND draw_id = ? \
                 ORDER BY entry_id"
            ),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        let mut entries = rows
            .into_iter()
            .map(LockedEntry::try_from)
            .collect::<Result<Vec<_>>>()?;
        // Byte order on both backends, whatever PostgreSQL's collation (already sorted on
        // SQLite and under the C collation: then this costs one pass).
        entries.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
        Ok(entries)
    }

    async fn entries_of_guest(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        guest: GuestId,
    ) -> Result<Vec<LockedEntry>> {
        // The unique index (tenant_id, draw_id, guest_id).
        let rows: Vec<EntryRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM draw_entries \
                 WHERE tenant_id = ? AND draw_id = ? AND guest_id = ? ORDER BY entry_id"
            ),
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
                Arg::Uuid(guest.as_uuid()),
            ],
        )
        .await?;
        rows.into_iter().map(LockedEntry::try_from).collect()
    }

    async fn get_entry(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        entry_id: &str,
    ) -> Result<Option<LockedEntry>> {
        let row: Option<EntryRow> = fetch_optional(
            self,
            tenant,
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM draw_entries \
                 WHERE tenant_id = ? AND draw_id = ? AND entry_id = ?"
            ),
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
                Arg::Text(entry_id.to_owned()),
            ],
        )
        .await?;
        row.map(LockedEntry::try_from).transpose()
    }

    async fn set_phrase(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        phrase: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE draws SET phrase = ?, phrase_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND closed_at IS NOT NULL AND phrase IS NULL \
             AND NOT EXISTS (SELECT 1 FROM draw_picks p \
                             WHERE p.tenant_id = draws.tenant_id AND p.draw_id = draws.id)",
            &[
                Arg::Text(phrase.to_owned()),
                Arg::Time(now),
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
            ],
        )
        .await?;
        Ok(n > 0)
    }

    async fn finish_draw(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE draws SET finished_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND closed_at IS NOT NULL AND finished_at IS NULL",
            &[
                Arg::Time(now),
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
            ],
        )
        .await?;
        Ok(n > 0)
    }

    async fn insert_pick(&mut self, tenant: TenantId, draw: DrawId, pick: &DrawPick) -> Result<()> {
        execute(
            self,
            tenant,
            "INSERT INTO draw_picks (tenant_id, draw_id, seq, tier, round, entry_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
                Arg::Int32(to_i32(pick.seq)),
                Arg::Int32(to_i32(pick.tier)),
                Arg::Int32(to_i32(pick.round)),
                Arg::Text(pick.entry_id.clone()),
                Arg::Time(pick.created_at),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("pick"))?;
        Ok(())
    }

    async fn insert_outcome(
        &mut self,
        tenant: TenantId,
        draw: DrawId,
        seq: u32,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            self,
            tenant,
            "INSERT INTO draw_outcomes (tenant_id, draw_id, seq, outcome, created_at) \
             VALUES (?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(draw.as_uuid()),
                Arg::Int32(to_i32(seq)),
                Arg::Text(outcome_str(outcome).to_owned()),
                Arg::Time(now),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("outcome"))?;
        Ok(())
    }

    async fn list_picks(&mut self, tenant: TenantId, draw: DrawId) -> Result<Vec<DrawPick>> {
        let rows: Vec<PickRow> = fetch_all(
            self,
            tenant,
            "SELECT p.seq, p.tier, p.round, p.entry_id, p.created_at, \
                    o.outcome, o.created_at AS outcome_at \
             FROM draw_picks p LEFT JOIN draw_outcomes o \
               ON o.tenant_id = p.tenant_id AND o.draw_id = p.draw_id AND o.seq = p.seq \
             WHERE p.tenant_id = ? AND p.draw_id = ? ORDER BY p.seq",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(draw.as_uuid())],
        )
        .await?;
        rows.into_iter().map(DrawPick::try_from).collect()
    }

    async fn event_winners(
        &mut self,
        tenant: TenantId,
        event: EventId,
    ) -> Result<Vec<EventWinner>> {
        // The event's draws along draws_by_event, then each draw's picks, entries and
        // outcomes by their primary keys.
        let rows: Vec<WinnerRow> = fetch_all(
            self,
            tenant,
            "SELECT p.draw_id, p.seq, p.tier, p.entry_id, e.guest_id, e.name, o.outcome \
             FROM draws d \
             JOIN draw_picks p ON p.tenant_id = d.tenant_id AND p.draw_id = d.id \
             JOIN draw_entries e ON e.tenant_id = p.tenant_id AND e.draw_id = p.draw_id \
                                AND e.entry_id = p.entry_id \
             LEFT JOIN draw_outcomes o \
               ON o.tenant_id = p.tenant_id AND o.draw_id = p.draw_id AND o.seq = p.seq \
             WHERE d.tenant_id = ? AND d.event_id = ? \
             ORDER BY d.created_at, d.id, p.seq",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(event.as_uuid())],
        )
        .await?;
        rows.into_iter().map(EventWinner::try_from).collect()
    }
}
