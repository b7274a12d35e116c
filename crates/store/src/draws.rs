//! Lucky draws (tenant-scoped, under RLS): their rules and prizes while entries are open, then
//! the locked entry list, the picks and their outcomes, append-only (migration 0016; docs/DRAW.md).
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

use crate::{Result, Tx};

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

impl DrawRepo for Tx {
    async fn insert_draw(&mut self, _draw: &Draw) -> Result<()> {
        todo!("store helper")
    }
    async fn get_draw(&mut self, _tenant: TenantId, _draw: DrawId) -> Result<Option<Draw>> {
        todo!("store helper")
    }
    async fn list_draws(&mut self, _tenant: TenantId, _event: EventId) -> Result<Vec<Draw>> {
        todo!("store helper")
    }
    async fn update_draw(&mut self, _draw: &Draw) -> Result<bool> {
        todo!("store helper")
    }
    async fn delete_draw(&mut self, _tenant: TenantId, _draw: DrawId) -> Result<bool> {
        todo!("store helper")
    }
    async fn replace_tiers(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _tiers: &[DrawTier],
    ) -> Result<()> {
        todo!("store helper")
    }
    async fn list_tiers(&mut self, _tenant: TenantId, _draw: DrawId) -> Result<Vec<DrawTier>> {
        todo!("store helper")
    }
    async fn insert_manual_entry(&mut self, _tenant: TenantId, _entry: &ManualEntry) -> Result<()> {
        todo!("store helper")
    }
    async fn delete_manual_entry(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _entry: ManualEntryId,
    ) -> Result<bool> {
        todo!("store helper")
    }
    async fn list_manual_entries(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
    ) -> Result<Vec<ManualEntry>> {
        todo!("store helper")
    }
    async fn set_excluded(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _guest: GuestId,
        _excluded: bool,
    ) -> Result<()> {
        todo!("store helper")
    }
    async fn is_excluded(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _guest: GuestId,
    ) -> Result<bool> {
        todo!("store helper")
    }
    async fn count_excluded(&mut self, _tenant: TenantId, _draw: DrawId) -> Result<i64> {
        todo!("store helper")
    }
    async fn candidates(
        &mut self,
        _tenant: TenantId,
        _event: EventId,
        _draw: DrawId,
        _min_published: i64,
        _search: Option<&str>,
        _limit: Option<u32>,
    ) -> Result<Vec<Candidate>> {
        todo!("store helper")
    }
    async fn close_draw(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _lock: &DrawLock,
        _entries: &[LockedEntry],
    ) -> Result<bool> {
        todo!("store helper")
    }
    async fn list_entries(&mut self, _tenant: TenantId, _draw: DrawId) -> Result<Vec<LockedEntry>> {
        todo!("store helper")
    }
    async fn entries_of_guest(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _guest: GuestId,
    ) -> Result<Vec<LockedEntry>> {
        todo!("store helper")
    }
    async fn get_entry(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _entry_id: &str,
    ) -> Result<Option<LockedEntry>> {
        todo!("store helper")
    }
    async fn set_phrase(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _phrase: &str,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        todo!("store helper")
    }
    async fn finish_draw(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        todo!("store helper")
    }
    async fn insert_pick(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _pick: &DrawPick,
    ) -> Result<()> {
        todo!("store helper")
    }
    async fn insert_outcome(
        &mut self,
        _tenant: TenantId,
        _draw: DrawId,
        _seq: u32,
        _outcome: Outcome,
        _now: DateTime<Utc>,
    ) -> Result<()> {
        todo!("store helper")
    }
    async fn list_picks(&mut self, _tenant: TenantId, _draw: DrawId) -> Result<Vec<DrawPick>> {
        todo!("store helper")
    }
    async fn event_winners(
        &mut self,
        _tenant: TenantId,
        _event: EventId,
    ) -> Result<Vec<EventWinner>> {
        todo!("store helper")
    }
}
