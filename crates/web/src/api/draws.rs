//! `/api/v1/events/{id}/draws`: an event's lucky draws as JSON (the draws pages' use cases):
//! list, set up, change and delete while open, walk-ins and exclusions, close, and on stage the
//! phrase, the next winner, present / not present and the finish; a draw's state and its
//! public record (docs/API.md, docs/DRAW.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use service::draws::{self, DrawForm, DrawStatus, TierInput};
use service::records::{Draw, DrawTier};

use super::events::ApiJson;
use crate::auth::CurrentMember;
use crate::extract::Path;
use crate::pages::draws::parse_draw_id;
use crate::params::parse_id;
use crate::{AppState, WebError};

/// One prize.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrizeBody {
    pub name: String,
    #[serde(default = "one")]
    pub winners: u32,
    #[serde(default)]
    pub photo: Option<String>,
}

fn one() -> u32 {
    1
}

/// A draw as the API shows it.
#[derive(Debug, Serialize)]
pub struct DrawView {
    pub id: String,
    pub name: String,
    pub status: DrawStatus,
    /// `per_guest` (with `min_photos`) or `per_photo` (with `cap`).
    pub rule: domain::EntryRule,
    pub rules: String,
    pub exclude_earlier_winners: bool,
    pub mask_names: bool,
    pub closes_at: Option<String>,
    pub prizes: Vec<PrizeBody>,
    pub entry_list_hash: Option<String>,
    pub commitment: Option<String>,
    pub public_url: String,
}

fn rfc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(d: &Draw, tiers: &[DrawTier]) -> DrawView {
    let lock = d.lock.as_ref();
    DrawView {
        id: d.id.to_string(),
        name: d.name.clone(),
        status: DrawStatus::of(d),
        rule: d.rule,
        rules: lock.map(|l| l.rules_text.clone()).unwrap_or_else(|| {
            domain::draw_rules::rules_text(d.rule, d.exclude_earlier_winners, 0)
        }),
        exclude_earlier_winners: d.exclude_earlier_winners,
        mask_names: d.mask_names,
        closes_at: d.closes_at.map(rfc),
        prizes: tiers
            .iter()
            .map(|t| PrizeBody {
                name: t.name.clone(),
                winners: t.winners,
                photo: t.photo_id.map(|p| p.to_string()),
            })
            .collect(),
        entry_list_hash: lock.map(|l| l.entry_list_hash.clone()),
        commitment: lock.map(|l| l.commitment.clone()),
        public_url: format!("/d/{}/{}", d.tenant_id, d.id),
    }
}

/// A draw's writable fields; on change, what is left out stays as it is. `closes_at` is RFC
/// 3339 (or null: closed by hand).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    name: Option<String>,
    rule: Option<domain::EntryRule>,
    exclude_earlier_winners: Option<bool>,
    mask_names: Option<bool>,
    #[serde(default, with = "double_option")]
    closes_at: Option<Option<String>>,
    prizes: Option<Vec<PrizeBody>>,
}

/// `null` and absent told apart (null clears the closing time).
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

impl DrawBody {
    /// The form these fields make on top of `base` (times as the event's local time, the way
    /// the form takes them).
    fn form(self, mut base: DrawForm, zone: domain::EventZone) -> Result<DrawForm, WebError> {
        if let Some(n) = self.name {
            base.name = n;
        }
        if let Some(rule) = self.rule {
            let (kind, n) = rule.parts();
            base.rule_kind = kind.to_owned();
            base.rule_n = n.to_string();
        }
        if let Some(b) = self.exclude_earlier_winners {
            base.exclude_earlier_winners = b;
        }
        if let Some(b) = self.mask_names {
            base.mask_names = b;
        }
        match self.closes_at {
            None => {}
            Some(None) => base.closes_at = String::new(),
            Some(Some(raw)) => {
                let at = chrono::DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| {
                    WebError::Invalid {
                        fields: vec![(
                            "closes_at",
                            crate::i18n::Catalog::current()
                                .get("draws.field.closes_at")
                                .to_owned(),
                        )],
                    }
                })?;
                base.closes_at = service::events::format_local(at.to_utc(), zone);
            }
        }
        if let Some(prizes) = self.prizes {
            base.tiers = prizes
                .into_iter()
                .map(|p| TierInput {
                    name: p.name,
                    winners: p.winners.to_string(),
                    photo: p.photo.unwrap_or_default(),
                })
                .collect();
        }
        Ok(base)
    }
}

#[derive(Debug, Serialize)]
pub struct DrawList {
    pub draws: Vec<DrawView>,
}

async fn one_view(
    state: &AppState,
    member: &CurrentMember,
    event: domain::EventId,
    draw: domain::DrawId,
) -> Result<DrawView, WebError> {
    let d = draws::detail(&state.services, &member.ctx, event, draw, "").await?;
    Ok(view(&d.draw, &d.tiers))
}

/// `GET /api/v1/events/{id}/draws`.
pub async fn list(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
) -> Result<Json<DrawList>, WebError> {
    let v = draws::list(&state.services, &member.ctx, parse_id(&id)?).await?;
    Ok(Json(DrawList {
        draws: v.draws.iter().map(|s| view(&s.draw, &s.tiers)).collect(),
    }))
}

/// `POST /api/v1/events/{id}/draws`.
pub async fn create(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DrawBody>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    let zone = draws::list(&state.services, &member.ctx, event)
        .await?
        .event
        .time_zone;
    let form = body.form(DrawForm::new_draw(), zone)?;
    let d = draws::create(&state.services, &member.ctx, event, &form).await?;
    let v = one_view(&state, &member, event, d.id).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /api/v1/events/{id}/draws/{draw}`.
pub async fn show(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Json<DrawView>, WebError> {
    Ok(Json(
        one_view(&state, &member, parse_id(&id)?, parse_draw_id(&draw)?).await?,
    ))
}

/// `PATCH /api/v1/events/{id}/draws/{draw}` (while entries are open).
pub async fn update(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    ApiJson(body): ApiJson<DrawBody>,
) -> Result<Json<DrawView>, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let d = draws::detail(&state.services, &member.ctx, event, draw, "").await?;
    let base = DrawForm::from_draw(&d.draw, &d.tiers, &d.event);
    let form = body.form(base, d.event.time_zone)?;
    draws::update(&state.services, &member.ctx, event, draw, &form).await?;
    Ok(Json(one_view(&state, &member, event, draw).await?))
}

/// `DELETE /api/v1/events/{id}/draws/{draw}` (while entries are open).
pub async fn delete(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    draws::delete(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A walk-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkInBody {
    name: String,
    #[serde(default)]
    note: String,
}

/// `GET /api/v1/events/{id}/draws/{draw}/participants`: everyone who is (or would be) entered.
pub async fn participants(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, WebError> {
    let (_, list) = draws::participants_csv(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
    )
    .await?;
    Ok(Json(serde_json::json!({ "participants": list })))
}

/// `POST /api/v1/events/{id}/draws/{draw}/walk-ins`.
pub async fn add_walk_in(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    ApiJson(body): ApiJson<WalkInBody>,
) -> Result<Response, WebError> {
    let m = draws::add_walk_in(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
        &body.name,
        &body.note,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": m.id.to_string(), "name": m.name, "note": m.note })),
    )
        .into_response())
}

/// `DELETE /api/v1/events/{id}/draws/{draw}/walk-ins/{entry}`.
pub async fn remove_walk_in(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw, entry)): Path<(String, String, String)>,
) -> Result<StatusCode, WebError> {
    let entry = entry.parse().map_err(|_| WebError::NotFound)?;
    draws::remove_walk_in(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
        entry,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/events/{id}/draws/{draw}/exclusions/{guest}` (exclude) and `DELETE` (back in).
pub async fn exclude(
    State(state): State<AppState>,
    member: CurrentMember,
    method: axum::http::Method,
    Path((id, draw, guest)): Path<(String, String, String)>,
) -> Result<StatusCode, WebError> {
    let guest = guest.parse().map_err(|_| WebError::NotFound)?;
    draws::set_excluded(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
        guest,
        method == axum::http::Method::PUT,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/events/{id}/draws/{draw}/close`.
pub async fn close(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Json<DrawView>, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    draws::close(&state.services, &member.ctx, event, draw).await?;
    Ok(Json(one_view(&state, &member, event, draw).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhraseBody {
    phrase: String,
}

/// `POST /api/v1/events/{id}/draws/{draw}/phrase`.
pub async fn phrase(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
    ApiJson(body): ApiJson<PhraseBody>,
) -> Result<StatusCode, WebError> {
    draws::set_phrase(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
        &body.phrase,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/events/{id}/draws/{draw}/next`: the next winner.
pub async fn next(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (event, draw) = (parse_id(&id)?, parse_draw_id(&draw)?);
    let p = draws::draw_next(&state.services, &member.ctx, event, draw).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "seq": p.seq, "tier": p.tier, "round": p.round, "entry": p.entry_id,
        })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    present: bool,
}

/// `POST /api/v1/events/{id}/draws/{draw}/picks/{seq}/outcome`: `{"present": true|false}`.
pub async fn outcome(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw, seq)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<OutcomeBody>,
) -> Result<StatusCode, WebError> {
    let seq = seq.parse::<u32>().map_err(|_| WebError::NotFound)?;
    draws::mark(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
        seq,
        body.present,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/events/{id}/draws/{draw}/finish`: ends it, publishing the seed.
pub async fn finish(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    draws::finish(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_draw_id(&draw)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/events/{id}/draws/{draw}/state`: what the big screen shows.
pub async fn state(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, draw)): Path<(String, String)>,
) -> Result<Json<service::draws::ShowState>, WebError> {
    Ok(Json(
        draws::member_show(
            &state.services,
            &member.ctx,
            parse_id(&id)?,
            parse_draw_id(&draw)?,
        )
        .await?,
    ))
}
