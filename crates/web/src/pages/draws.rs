//! Lucky draws: the members' pages to set one up and run it (the projector screen, the phone
//! remote), the projector opened from a wall's link, and the public page anyone can check a
//! draw on (docs/DRAW.md).

use askama::Template;
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use service::draws::{
    self, DrawDetail, DrawError, DrawForm, DrawProblem, DrawStatus, FieldError, ShowState,
    TierInput,
};

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::links::base_url;
use crate::pages::Layout;
use crate::params::parse_id;
use crate::security::CspNonce;
use crate::{AppState, WebError, assets};

/// The sentence for a draw refusal.
pub fn problem_message(t: &Catalog, p: DrawProblem) -> String {
    t.get(&format!("draws.problem.{}", p.code())).to_owned()
}

fn field_message(t: &Catalog, e: &FieldError) -> String {
    let n = e.field.rsplit('.').next().unwrap_or_default();
    t.get(&format!("draws.field.{}", e.code)).replace("{n}", n)
}

/// The API's name of a form field (prizes are one field, `tiers`).
fn api_field(field: &str) -> &'static str {
    match field.split('.').next().unwrap_or_default() {
        "name" => "name",
        "rule_n" => "rule",
        "closes_at" => "closes_at",
        "walk_in_name" => "walk_in_name",
        "walk_in_note" => "walk_in_note",
        "phrase" => "phrase",
        _ => "tiers",
    }
}

impl From<DrawError> for WebError {
    fn from(e: DrawError) -> Self {
        let t = Catalog::current();
        match e {
            DrawError::Base(b) => b.into(),
            DrawError::Problem(p) => WebError::Rejected {
                status: StatusCode::CONFLICT,
                code: match p {
                    DrawProblem::Locked => "draw_locked",
                    DrawProblem::NotClosed => "draw_not_closed",
                    DrawProblem::Finished => "draw_finished",
                    DrawProblem::NoPrizes => "draw_no_prizes",
                    DrawProblem::NoEntries => "draw_no_entries",
                    DrawProblem::AllDrawn => "draw_all_drawn",
                    DrawProblem::NobodyLeft => "draw_nobody_left",
                    DrawProblem::PhraseTooLate => "draw_phrase_too_late",
                    DrawProblem::NotMarkable => "draw_not_markable",
                    DrawProblem::Busy => "draw_busy",
                    DrawProblem::TooManyWalkIns => "draw_too_many_walk_ins",
                },
                message: problem_message(t, p),
            },
            DrawError::Invalid(fields) => WebError::Invalid {
                fields: fields
                    .iter()
                    .map(|f| (api_field(&f.field), field_message(t, f)))
                    .collect(),
            },
        }
    }
}

pub(crate) fn parse_draw_id(raw: &str) -> Result<domain::DrawId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

fn status_label(t: &Catalog, s: DrawStatus) -> String {
    t.get(&format!("draws.status.{}", s.as_str())).to_owned()
}

/// The draw form's fields as posted (prizes as parallel lists).
#[derive(Debug, Default, Deserialize)]
pub struct DrawFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub rule_kind: String,
    #[serde(default)]
    pub min_photos: String,
    #[serde(default)]
    pub cap: String,
    pub exclude_earlier_winners: Option<String>,
    pub mask_names: Option<String>,
    #[serde(default)]
    pub closes_at: String,
    #[serde(default)]
    pub tier_name: Vec<String>,
    #[serde(default)]
    pub tier_winners: Vec<String>,
    #[serde(default)]
    pub tier_photo: Vec<String>,
}

impl DrawFields {
    /// Parses the urlencoded body (repeated `tier_*` fields).
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = DrawFields::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "rule_kind" => f.rule_kind = v,
                "min_photos" => f.min_photos = v,
                "cap" => f.cap = v,
                "exclude_earlier_winners" => f.exclude_earlier_winners = Some(v),
                "mask_names" => f.mask_names = Some(v),
                "closes_at" => f.closes_at = v,
                "tier_name" => f.tier_name.push(v),
                "tier_winners" => f.tier_winners.push(v),
                "tier_photo" => f.tier_photo.push(v),
                _ => {}
            }
        }
        f
    }

    fn form(&self) -> DrawForm {
        let per_photo = self.rule_kind == "per_photo";
        DrawForm {
            name: self.name.clone(),
            rule_kind: if per_photo { "per_photo" } else { "per_guest" }.to_owned(),
            rule_n: if per_photo {
                self.cap.clone()
            } else {
                self.min_photos.clone()
            },
            exclude_earlier_winners: self.exclude_earlier_winners.is_some(),
            mask_names: self.mask_names.is_some(),
            closes_at: self.closes_at.clone(),
            tiers: (0..self.tier_name.len().max(self.tier_winners.len()))
                .map(|i| TierInput {
                    name: self.tier_name.get(i).cloned().unwrap_or_default(),
                    winners: self
                        .tier_winners
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| "1".into()),
                    photo: self.tier_photo.get(i).cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A form as the page shows it again: what was typed and the messages.
#[derive(Debug, Default)]
pub struct FormView {
    pub name: String,
    pub per_photo: bool,
    pub min_photos: String,
    pub cap: String,
    pub exclude_earlier_winners: bool,
    pub mask_names: bool,
    pub closes_at: String,
    /// Each prize row, with three empty rows to add more.
    pub tiers: Vec<TierInput>,
    pub errors: Vec<String>,
}

impl FormView {
    fn of(form: &DrawForm, errors: Vec<String>) -> Self {
        let per_photo = form.rule_kind == "per_photo";
        let mut tiers = form.tiers.clone();
        let blank = TierInput {
            name: String::new(),
            winners: "1".into(),
            photo: String::new(),
        };
        let extra = 3usize.min(draws::MAX_TIERS.saturating_sub(tiers.len()));
        tiers.extend(std::iter::repeat_n(blank, extra));
        Self {
            name: form.name.clone(),
            per_photo,
            min_photos: if per_photo {
                "1".into()
            } else {
                form.rule_n.clone()
            },
            cap: if per_photo {
                form.rule_n.clone()
            } else {
                "5".into()
            },
            exclude_earlier_winners: form.exclude_earlier_winners,
            mask_names: form.mask_names,
            closes_at: form.closes_at.clone(),
            tiers,
            errors,
        }
    }
}

/// One draw in the event's list.
#[derive(Debug)]
pub struct DrawRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_key: &'static str,
    pub rule: String,
    pub prizes: u32,
}

#[derive(Template)]
#[template(path = "draws_list.html")]
struct ListPage {
    layout: Layout,
    csrf: String,
    id: String,
    name: String,
    zone: String,
    draws: Vec<DrawRow>,
    may_manage: bool,
    form: FormView,
}

async fn list_page(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    event: domain::EventId,
    form: FormView,
    status: StatusCode,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let view = draws::list(&state.services, &member.ctx, event).await?;
    let rows = view
        .draws
        .iter()
        .map(|s| DrawRow {
            id: s.draw.id.to_string(),
            name: s.draw.name.clone(),
            status: status_label(t, s.status),
            status_key: s.status.as_str(),
            rule: s.draw.rule.describe(),
            prizes: s.prizes,
        })
        .collect();
    let html = ListPage {
        layout: Layout::for_member(nonce, member, "dashboard"),
        csrf: member.session.csrf_token.clone(),
        id: event.to_string(),
        name: view.event.name.clone(),
        zone: view.event.time_zone.name().to_owned(),
        draws: rows,
        may_manage: view.may_manage,
        form,
    }
    .render()
    .map_err(WebError::internal)?;
    Ok((status, Html(html)).into_response())
}

/// `GET /app/events/{id}/draws`.
pub async fn show_draws(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let form = FormView::of(&DrawForm::new_draw(), Vec::new());
    list_page(&state, nonce, &member, parse_id(&id)?, form, StatusCode::OK).await
}

/// `POST /app/events/{id}/draws`: makes a draw.
pub async fn create_draw(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let form = DrawFields::from_pairs(pairs).form();
    match draws::create(&state.services, &member.ctx, event, &form).await {
        Ok(d) => Ok(
            Redirect::to(&format!("/app/events/{event}/draws/{}?done=created", d.id))
                .into_response(),
        ),
        Err(DrawError::Invalid(errors)) => {
            let t = Catalog::current();
            let errors = errors.iter().map(|e| field_message(t, e)).collect();
            list_page(
                &state,
                nonce,
                &member,
                event,
                FormView::of(&form, errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// One participant's row.
#[derive(Debug)]
pub struct ParticipantRow {
    pub guest: String,
    pub walk_in: String,
    pub name: String,
    pub note: String,
    pub photos: i64,
    pub tickets: u32,
    pub excluded: bool,
    pub earlier_winner: bool,
    pub entry: String,
    pub won: String,
}

/// One pick's row.
#[derive(Debug)]
pub struct PickRow {
    pub prize: String,
    pub round: u32,
    pub entry: String,
    pub name: String,
    pub outcome: String,
    pub outcome_key: &'static str,
}

fn outcome_key(o: domain::draw::Outcome) -> &'static str {
    o.as_str()
}

/// A prize's line of figures.
#[derive(Debug)]
pub struct PrizeLine {
    pub name: String,
    pub winners: u32,
    pub won: u32,
}

#[derive(Template)]
#[template(path = "draw_detail.html")]
struct DetailPage {
    layout: Layout,
    csrf: String,
    id: String,
    event_name: String,
    zone: String,
    draw_id: String,
    name: String,
    status: String,
    status_key: &'static str,
    rules: String,
    closes_at: String,
    may_manage: bool,
    form: FormView,
    participants: Vec<ParticipantRow>,
    more: bool,
    search: String,
    walk_in_error: String,
    picks: Vec<PickRow>,
    prizes: Vec<PrizeLine>,
    entries: usize,
    tickets: u64,
    guests_entered: usize,
    guests_joined: i64,
    walk_ins: usize,
    not_present: u32,
    entry_list_hash: String,
    commitment: String,
    public_url: String,
    notice: String,
    next: String,
    /// Each wall's name and the address of this draw's screen on it.
    walls: Vec<(String, String)>,
}

/// What a detail page shows besides the draw.
#[derive(Default)]
struct DetailExtra {
    /// Part of a name to narrow the participants to.
    search: String,
    form: Option<FormView>,
    walk_in_error: String,
    notice: String,
    status: Option<StatusCode>,
}

fn public_path(d: &service::draws::DrawDetail) -> String {
    format!("/d/{}/{}", d.draw.tenant_id, d.draw.id)
}

async fn detail_page(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    headers: &HeaderMap,
    event: domain::EventId,
    draw: domain::DrawId,
    extra: DetailExtra,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let v: DrawDetail =
        draws::detail(&state.services, &member.ctx, event, draw, &extra.search).await?;
    let (base, _) = base_url(state, headers);
    let form = extra.form.unwrap_or_else(|| {
        FormView::of(
            &DrawForm::from_draw(&v.draw, &v.tiers, &v.event),
            Vec::new(),
        )
    });
    let participants = v
        .participants
        .iter()
        .map(|p| ParticipantRow {
            guest: p.guest.map(|g| g.to_string()).unwrap_or_default(),
            walk_in: p.walk_in.map(|g| g.to_string()).unwrap_or_default(),
            name: p.name.clone(),
            note: p.note.clone().unwrap_or_default(),
            photos: p.photos,
            tickets: p.tickets,
            excluded: p.excluded,
            earlier_winner: p.earlier_winner,
            entry: p.entry.clone().unwrap_or_default(),
            won: p.won.clone().unwrap_or_default(),
        })
        .collect();
    let picks = v
        .picks
        .iter()
        .map(|p| PickRow {
            prize: p.prize.clone(),
            round: p.round,
            entry: p.entry.clone(),
            name: p.name.clone(),
            outcome: t
                .get(&format!("draws.outcome.{}", outcome_key(p.outcome)))
                .to_owned(),
            outcome_key: outcome_key(p.outcome),
        })
        .collect();
    let prizes = v
        .tiers
        .iter()
        .map(|tier| PrizeLine {
            name: tier.name.clone(),
            winners: tier.winners,
            won: v.stats.winners.get(&tier.position).copied().unwrap_or(0),
        })
        .collect();
    let next = v
        .next
        .and_then(|(tier, round)| {
            v.tiers.iter().find(|x| x.position == tier).map(|x| {
                if round > 1 {
                    t.get("draws.next_redraw").replace("{prize}", &x.name)
                } else {
                    t.get("draws.next_prize").replace("{prize}", &x.name)
                }
            })
        })
        .unwrap_or_default();
    let lock = v.draw.lock.as_ref();
    let html = DetailPage {
        layout: Layout::for_member(nonce, member, "dashboard"),
        csrf: member.session.csrf_token.clone(),
        id: event.to_string(),
        event_name: v.event.name.clone(),
        zone: v.event.time_zone.name().to_owned(),
        draw_id: v.draw.id.to_string(),
        name: v.draw.name.clone(),
        status: status_label(t, v.status),
        status_key: v.status.as_str(),
        rules: lock.map(|l| l.rules_text.clone()).unwrap_or_else(|| {
            domain::draw_rules::rules_text(v.draw.rule, v.draw.exclude_earlier_winners, 0)
        }),
        closes_at: v
            .draw
            .closes_at
            .map(|c| service::events::format_local(c, v.event.time_zone).replace('T', " "))
            .unwrap_or_default(),
        may_manage: v.may_manage,
        form,
        participants,
        more: v.more,
        search: v.search.clone(),
        walk_in_error: extra.walk_in_error,
        picks,
        prizes,
        entries: v.stats.entries,
        tickets: v.stats.tickets,
        guests_entered: v.stats.guests_entered,
        guests_joined: v.stats.guests_joined,
        walk_ins: v.stats.walk_ins,
        not_present: v.stats.not_present,
        entry_list_hash: lock.map(|l| l.entry_list_hash.clone()).unwrap_or_default(),
        commitment: lock.map(|l| l.commitment.clone()).unwrap_or_default(),
        public_url: format!("{base}{}", public_path(&v)),
        notice: extra.notice,
        next,
        walls: v
            .walls
            .iter()
            .map(|(name, token)| {
                (
                    name.clone(),
                    format!("{base}/w/{token}/draws/{}", v.draw.id),
                )
            })
            .collect(),
    }
    .render()
    .map_err(WebError::internal)?;
    Ok((extra.status.unwrap_or(StatusCode::OK), Html(html)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailParams {
    q: Option<String>,
    done: Option<String>,
}

/// `GET /app/events/{id}/draws/{draw}`.
pub async fn show_draw(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, draw)): Path<(String, String)>,
    Query(p): Query<DetailParams>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let notice = match p.done.as_deref() {
        Some(
            k @ ("created" | "saved" | "closed" | "walk_in" | "walk_in_removed" | "excluded"
            | "included" | "finished"),
        ) => t.get(&format!("draws.done.{k}")).to_owned(),
        _ => String::new(),
    };
    detail_page(
        &state,
        nonce,
        &member,
        &headers,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
        DetailExtra {
            search: p.q.unwrap_or_default(),
            notice,
            ..DetailExtra::default()
        },
    )
    .await
}

/// `POST /app/events/{id}/draws/{draw}`: saves the rules and prizes.
pub async fn update_draw(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let form = DrawFields::from_pairs(pairs).form();
    match draws::update(&state.services, &member.ctx, event, draw, &form).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/app/events/{event}/draws/{draw}?done=saved")).into_response(),
        ),
        Err(DrawError::Invalid(errors)) => {
            let t = Catalog::current();
            let errors = errors.iter().map(|e| field_message(t, e)).collect();
            detail_page(
                &state,
                nonce,
                &member,
                &headers,
                event,
                draw,
                DetailExtra {
                    form: Some(FormView::of(&form, errors)),
                    status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                    ..DetailExtra::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/events/{id}/draws/{draw}/delete`.
pub async fn delete_draw(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    draws::delete(&state.services, &member.ctx, event, draw).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/draws")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct WalkInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    note: String,
}

/// `POST /app/events/{id}/draws/{draw}/walk-ins`.
pub async fn add_walk_in(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<WalkInForm>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    match draws::add_walk_in(&state.services, &member.ctx, event, draw, &f.name, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/app/events/{event}/draws/{draw}?done=walk_in#participants"
        ))
        .into_response()),
        Err(DrawError::Invalid(errors)) => {
            let t = Catalog::current();
            let msg = errors
                .iter()
                .map(|e| field_message(t, e))
                .collect::<Vec<_>>()
                .join(" ");
            detail_page(
                &state,
                nonce,
                &member,
                &headers,
                event,
                draw,
                DetailExtra {
                    walk_in_error: msg,
                    status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                    ..DetailExtra::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/events/{id}/draws/{draw}/walk-ins/{entry}/remove`.
pub async fn remove_walk_in(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw, entry)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let entry = entry.parse().map_err(|_| WebError::NotFound)?;
    draws::remove_walk_in(&state.services, &member.ctx, event, draw, entry).await?;
    Ok(Redirect::to(&format!(
        "/app/events/{event}/draws/{draw}?done=walk_in_removed#participants"
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ExcludeForm {
    guest: String,
    on: String,
}

/// `POST /app/events/{id}/draws/{draw}/exclude`: `guest`, `on` 1 (exclude) or 0.
pub async fn exclude(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<ExcludeForm>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let guest = f.guest.parse().map_err(|_| WebError::NotFound)?;
    let on = match f.on.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(WebError::BadRequest(
                Catalog::current().get("draws.bad_flag").to_owned(),
            ));
        }
    };
    draws::set_excluded(&state.services, &member.ctx, event, draw, guest, on).await?;
    let done = if on { "excluded" } else { "included" };
    Ok(Redirect::to(&format!(
        "/app/events/{event}/draws/{draw}?done={done}#participants"
    ))
    .into_response())
}

/// `POST /app/events/{id}/draws/{draw}/close`: closes the entries.
pub async fn close_draw(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    draws::close(&state.services, &member.ctx, event, draw).await?;
    Ok(Redirect::to(&format!("/app/events/{event}/draws/{draw}?done=closed")).into_response())
}

/// Where a run action goes back to: the remote, the screen, or the draw's page.
#[derive(Debug, Default, Deserialize)]
pub struct RunForm {
    back: Option<String>,
    #[serde(default)]
    phrase: String,
    #[serde(default)]
    seq: String,
    #[serde(default)]
    present: String,
}

/// The page a run action came from: the remote, the screen, or the draw's page.
fn run_page(event: domain::EventId, draw: domain::DrawId, back: Option<&str>) -> String {
    match back {
        Some("remote") => format!("/app/events/{event}/draws/{draw}/remote"),
        Some("show") => format!("/app/events/{event}/draws/{draw}/show"),
        _ => format!("/app/events/{event}/draws/{draw}"),
    }
}

fn run_back(event: domain::EventId, draw: domain::DrawId, back: Option<&str>) -> Redirect {
    let page = run_page(event, draw, back);
    Redirect::to(&if matches!(back, Some("remote" | "show")) {
        page
    } else {
        format!("{page}#run")
    })
}

/// A run action refused for a reason of the draw's (already drawn, too late…): back to where
/// it came from with the reason, rather than an error page in the middle of the show.
fn run_refused(
    event: domain::EventId,
    draw: domain::DrawId,
    back: Option<&str>,
    e: DrawError,
) -> Result<Response, WebError> {
    match e {
        DrawError::Problem(p) => Ok(Redirect::to(&format!(
            "{}?problem={}",
            run_page(event, draw, back),
            p.code()
        ))
        .into_response()),
        other => Err(other.into()),
    }
}

/// `POST /app/events/{id}/draws/{draw}/phrase`.
pub async fn set_phrase(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RunForm>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    match draws::set_phrase(&state.services, &member.ctx, event, draw, &f.phrase).await {
        Ok(()) => Ok(run_back(event, draw, f.back.as_deref()).into_response()),
        Err(DrawError::Invalid(errors)) => Err(DrawError::Invalid(errors).into()),
        Err(e) => run_refused(event, draw, f.back.as_deref(), e),
    }
}

/// `POST /app/events/{id}/draws/{draw}/next`: draws the next winner.
pub async fn draw_next(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RunForm>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    match draws::draw_next(&state.services, &member.ctx, event, draw).await {
        Ok(_) => Ok(run_back(event, draw, f.back.as_deref()).into_response()),
        Err(e) => run_refused(event, draw, f.back.as_deref(), e),
    }
}

/// `POST /app/events/{id}/draws/{draw}/mark`: `seq`, `present` 1 or 0.
pub async fn mark(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RunForm>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let t = Catalog::current();
    let seq = f
        .seq
        .trim()
        .parse::<u32>()
        .map_err(|_| WebError::BadRequest(t.get("draws.bad_seq").to_owned()))?;
    let present = match f.present.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::BadRequest(t.get("draws.bad_flag").to_owned())),
    };
    match draws::mark(&state.services, &member.ctx, event, draw, seq, present).await {
        Ok(()) => Ok(run_back(event, draw, f.back.as_deref()).into_response()),
        Err(e) => run_refused(event, draw, f.back.as_deref(), e),
    }
}

/// `POST /app/events/{id}/draws/{draw}/finish`: ends the draw, publishing the seed.
pub async fn finish(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RunForm>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    match draws::finish(&state.services, &member.ctx, event, draw).await {
        Ok(()) => Ok(run_back(event, draw, f.back.as_deref()).into_response()),
        Err(e) => run_refused(event, draw, f.back.as_deref(), e),
    }
}

/// A CSV cell: quoted, and a leading `=`, `+`, `-` or `@` made harmless for spreadsheets.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv_response(filename: &str, body: String) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
            "_"
        )
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// `GET /app/events/{id}/draws/{draw}/participants.csv`.
pub async fn participants_csv(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let t = Catalog::current();
    let (_, list) = draws::participants_csv(&state.services, &member.ctx, event, draw).await?;
    let mut out = String::from("name,kind,photos,entries,excluded,entry_id,won\n");
    for p in list {
        let kind = if p.guest.is_some() {
            "guest"
        } else {
            "walk_in"
        };
        let excluded = if p.excluded {
            t.get("draws.csv_excluded")
        } else if p.earlier_winner {
            t.get("draws.csv_earlier_winner")
        } else {
            ""
        };
        out.push_str(&format!(
            "{},{kind},{},{},{},{},{}\n",
            cell(&p.name),
            p.photos,
            p.tickets,
            cell(excluded),
            cell(p.entry.as_deref().unwrap_or_default()),
            cell(p.won.as_deref().unwrap_or_default()),
        ));
    }
    Ok(csv_response(&format!("draw-{draw}-participants.csv"), out))
}

/// `GET /app/events/{id}/draws/{draw}/results.csv`: every pick, in order.
pub async fn results_csv(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let v = draws::detail(&state.services, &member.ctx, event, draw, "").await?;
    let mut out = String::from("pick,prize,round,entry_id,name,outcome\n");
    for p in &v.picks {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            p.seq,
            cell(&p.prize),
            p.round,
            cell(&p.entry),
            cell(&p.name),
            outcome_key(p.outcome)
        ));
    }
    Ok(csv_response(&format!("draw-{draw}-results.csv"), out))
}

#[derive(Template)]
#[template(path = "draw_show.html")]
struct ShowPage {
    lang: String,
    title: String,
    nonce: String,
    css: String,
    js: String,
    live_url: String,
    feed_url: String,
    state_url: String,
    seq: i64,
    /// Members' screens take the keyboard; a wall's only watches.
    control: bool,
    csrf: String,
    base: String,
    event_id: String,
    state: ShowState,
    state_json: String,
    current_prize: String,
    current_name: String,
    t: &'static Catalog,
}

fn show_html(
    nonce: CspNonce,
    state: ShowState,
    live: (String, String, String),
    control: Option<(&CurrentMember, domain::EventId)>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    // Inside <script>: no `<` may end it early (a guest's name is in here).
    let state_json = serde_json::to_string(&state)
        .map_err(WebError::internal)?
        .replace('<', "\\u003c");
    let (current_prize, current_name) = state
        .current
        .as_ref()
        .map(|c| (c.prize.clone(), c.name.clone()))
        .unwrap_or_default();
    let html = ShowPage {
        lang: t.lang().to_owned(),
        title: format!("{} · {}", state.name, state.event),
        nonce: nonce.0,
        css: assets::url("draw.css"),
        js: assets::url("draw.js"),
        live_url: live.0,
        feed_url: live.1,
        state_url: live.2,
        seq: state.seq,
        control: control.is_some(),
        csrf: control
            .map(|(m, _)| m.session.csrf_token.clone())
            .unwrap_or_default(),
        base: control
            .map(|(_, e)| format!("/app/events/{e}/draws/{}", state.draw))
            .unwrap_or_default(),
        event_id: control.map(|(_, e)| e.to_string()).unwrap_or_default(),
        current_prize,
        current_name,
        state,
        state_json,
        t,
    }
    .render()
    .map_err(WebError::internal)?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Html(html),
    )
        .into_response())
}

/// `GET /app/events/{id}/draws/{draw}/show`: the projector screen, run by this member
/// (space, P, N, B) or from their phone.
pub async fn member_show(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let show = draws::member_show(&state.services, &member.ctx, event, draw).await?;
    let base = format!("/app/events/{event}");
    show_html(
        nonce,
        show,
        (
            format!("{base}/live"),
            format!("{base}/feed"),
            format!("{base}/draws/{draw}/state.json"),
        ),
        Some((&member, event)),
    )
}

/// `GET /app/events/{id}/draws/{draw}/state.json`: what the screen and the remote show.
pub async fn member_state(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let show = draws::member_show(&state.services, &member.ctx, event, draw).await?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(show),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "draw_remote.html")]
struct RemotePage {
    layout: Layout,
    csrf: String,
    id: String,
    draw_id: String,
    state: ShowState,
    problem: String,
    blank: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoteParams {
    problem: Option<String>,
}

/// `GET /app/events/{id}/draws/{draw}/remote`: the phone remote (works without script).
pub async fn remote(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    Query(p): Query<RemoteParams>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let live = super::live_links(
        &state,
        member.ctx.tenant,
        event,
        &format!("/app/events/{event}"),
    )
    .await?;
    let show = draws::member_show(&state.services, &member.ctx, event, draw).await?;
    let t = Catalog::current();
    let problem = p
        .problem
        .as_deref()
        .and_then(|c| {
            let key = format!("draws.problem.{c}");
            let m = t.get(&key);
            (m != key).then(|| m.to_owned())
        })
        .unwrap_or_default();
    let html = RemotePage {
        layout: Layout::for_member(nonce, &member, "dashboard").with_live(live),
        csrf: member.session.csrf_token.clone(),
        id: event.to_string(),
        draw_id: draw.to_string(),
        blank: show.blank,
        state: show,
        problem,
    }
    .render()
    .map_err(WebError::internal)?;
    Ok(Html(html).into_response())
}

/// `GET /w/{token}/draws/{draw}`: the projector opened from a wall's link (it watches; a
/// member runs the draw from their phone).
pub async fn wall_show(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Path((token, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let draw = parse_draw_id(&draw)?;
    let wall = service::walls::open_wall(&state.services, &token).await?;
    let show = draws::wall_show(&state.services, &wall, draw).await?;
    show_html(
        nonce,
        show,
        (
            format!("/w/{token}/live"),
            format!("/w/{token}/feed"),
            format!("/w/{token}/draws/{draw}/state.json"),
        ),
        None,
    )
}

/// `GET /w/{token}/draws/{draw}/state.json`.
pub async fn wall_state(
    State(state): State<AppState>,
    Path((token, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let draw = parse_draw_id(&draw)?;
    let wall = service::walls::open_wall(&state.services, &token).await?;
    let show = draws::wall_show(&state.services, &wall, draw).await?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(show),
    )
        .into_response())
}

/// One prize on the public page.
#[derive(Debug)]
pub struct PublicPrize {
    pub name: String,
    pub winners: u32,
}

/// One pick on the public page (ids only).
#[derive(Debug)]
pub struct PublicPick {
    pub prize: String,
    pub round: u32,
    pub entry: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "draw_public.html")]
struct PublicPage {
    layout: Layout,
    name: String,
    event_name: String,
    status_key: &'static str,
    status: String,
    rules: String,
    closes_at: String,
    closed_at: String,
    entries: usize,
    tickets: u64,
    guests_entered: usize,
    guests_joined: i64,
    entry_list_hash: String,
    commitment: String,
    phrase: String,
    seed: String,
    prizes: Vec<PublicPrize>,
    picks: Vec<PublicPick>,
    export_url: String,
    verify_js: String,
    entry_sample: Vec<(String, u32)>,
}

fn parse_tenant(raw: &str) -> Result<domain::TenantId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// `GET /d/{org}/{draw}`: anyone's page of a draw: its rules, and once closed its published
/// record, checked in the browser (static/draw-verify.js).
pub async fn public_page(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Path((org, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let (tenant, draw) = (parse_tenant(&org)?, parse_draw_id(&draw)?);
    let p = draws::public(&state.services, tenant, draw).await?;
    let prize = |tier: u32| {
        p.export
            .tiers
            .iter()
            .find(|x| x.position == tier)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let picks = p
        .export
        .picks
        .iter()
        .map(|pk| PublicPick {
            prize: prize(pk.tier),
            round: pk.round,
            entry: pk.entry.clone(),
            outcome: t
                .get(&format!("draws.outcome.{}", outcome_key(pk.outcome)))
                .to_owned(),
        })
        .collect();
    let html = PublicPage {
        layout: Layout::new(nonce),
        name: p.export.name.clone(),
        event_name: p.event_name.clone(),
        status_key: p.status.as_str(),
        status: status_label(t, p.status),
        rules: p.export.rules.clone(),
        closes_at: p
            .closes_at
            .map(|c| c.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        closed_at: p.export.closed_at.clone(),
        entries: p.stats.entries,
        tickets: p.stats.tickets,
        guests_entered: p.stats.guests_entered,
        guests_joined: p.stats.guests_joined,
        entry_list_hash: p.export.entry_list_hash.clone(),
        commitment: p.export.commitment.clone(),
        phrase: p.export.phrase.clone().unwrap_or_default(),
        seed: p.export.seed.clone().unwrap_or_default(),
        prizes: p
            .export
            .tiers
            .iter()
            .map(|x| PublicPrize {
                name: x.name.clone(),
                winners: x.winners,
            })
            .collect(),
        picks,
        export_url: format!("/d/{tenant}/{draw}/export.json"),
        verify_js: assets::url("draw-verify.js"),
        entry_sample: p
            .export
            .entries
            .iter()
            .take(200)
            .map(|e| (e.id.clone(), e.weight))
            .collect(),
    }
    .render()
    .map_err(WebError::internal)?;
    Ok(Html(html).into_response())
}

/// `GET /d/{org}/{draw}/export.json`: the draw's record (what `momentique draw verify` reads).
pub async fn public_export(
    State(state): State<AppState>,
    Path((org, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (tenant, draw) = (parse_tenant(&org)?, parse_draw_id(&draw)?);
    let p = draws::public(&state.services, tenant, draw).await?;
    Ok((
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("inline; filename=\"draw-{draw}.json\""))
                    .unwrap_or(HeaderValue::from_static("inline")),
            ),
        ],
        Json(p.export),
    )
        .into_response())
}
