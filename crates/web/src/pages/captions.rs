//! Captions and photo details: the guest's caption on their own photos (My photos), the
//! members' edit page for a photo's caption, uploader name and time taken, and how a caption
//! arrives with an upload (a form field, or the script's `Upload-Metadata` header).

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{Caption, PhotoId};
use serde::Deserialize;
use service::captions::{self, CaptionRefusal, DetailProblem, DetailsError, PhotoEdit};

use crate::auth::{CsrfForm, CurrentGuest, CurrentMember, FormToken, enforce_limit, limits};
use crate::extract::Path;
use crate::i18n::Catalog;
use crate::pages::{Field, Layout};
use crate::params::parse_id;
use crate::security::CspNonce;
use crate::views::{Tile, tile};
use crate::{AppState, WebError};

/// The sentence for a problem with one field of a caption or details change.
pub fn detail_message(t: &Catalog, p: &DetailProblem) -> String {
    match p {
        DetailProblem::Parse(e) => {
            crate::messages::field_message(t, &service::accounts::FieldProblem::Parse(e.clone()))
        }
        DetailProblem::BadDateTime => t.get("captions.bad_datetime").to_owned(),
        DetailProblem::SkippedTime => t.get("captions.skipped_time").to_owned(),
        DetailProblem::OutOfRange => t.get("captions.out_of_range").to_owned(),
    }
}

/// Why a guest may not change a caption, in their words.
fn refusal(t: &Catalog, r: CaptionRefusal) -> WebError {
    match r {
        CaptionRefusal::Closed => WebError::Rejected {
            status: StatusCode::CONFLICT,
            code: "captions_closed",
            message: t.get("captions.closed").to_owned(),
        },
        CaptionRefusal::Blocked => WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "blocked",
            message: t.get("captions.blocked").to_owned(),
        },
    }
}

impl From<DetailsError> for WebError {
    fn from(e: DetailsError) -> Self {
        let t = Catalog::current();
        match e {
            DetailsError::Invalid(problems) => WebError::Invalid {
                fields: problems
                    .iter()
                    .map(|(f, p)| (*f, detail_message(t, p)))
                    .collect(),
            },
            DetailsError::Refused(r) => refusal(t, r),
            DetailsError::Denied(d) => d.into(),
            DetailsError::NotFound => WebError::NotFound,
            DetailsError::Store(s) => s.into(),
        }
    }
}

/// A caption typed into the upload form; the refusal is the sentence to show.
pub fn caption_field(t: &Catalog, raw: &str) -> Result<Option<Caption>, String> {
    Caption::parse(raw).map_err(|e| {
        t.get("captions.error")
            .replace("{message}", &detail_message(t, &DetailProblem::Parse(e)))
    })
}

/// The caption the page's script sends with an upload, tus-style: `Upload-Metadata: caption
/// BASE64` (other keys, comma-separated, are passed over). Refused as the JSON envelope's
/// `invalid` with the `caption` field.
pub fn caption_from_metadata(headers: &HeaderMap) -> Result<Option<Caption>, WebError> {
    use base64::Engine;
    let t = Catalog::current();
    let Some(value) = headers.get("upload-metadata") else {
        return Ok(None);
    };
    let unreadable = || WebError::BadRequest(t.get("captions.bad_metadata").to_owned());
    let value = value.to_str().map_err(|_| unreadable())?;
    for pair in value.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        if parts.next() != Some("caption") {
            continue;
        }
        let encoded = parts.next().unwrap_or("").trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| unreadable())?;
        let text = String::from_utf8(bytes).map_err(|_| unreadable())?;
        return Caption::parse(&text).map_err(|e| WebError::Invalid {
            fields: vec![("caption", detail_message(t, &DetailProblem::Parse(e)))],
        });
    }
    Ok(None)
}

#[derive(Debug, Default, Deserialize)]
pub struct CaptionForm {
    #[serde(default)]
    caption: String,
}

/// `POST /g/{event}/photos/{id}/caption`: a guest sets or removes the caption of one of their
/// own photos, then back to My photos. A caption that is not right shows the page again (422).
pub async fn guest_set(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    g: CurrentGuest,
    Path((_, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<CaptionForm>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    enforce_limit(
        &state,
        limits::GUEST_REACT_PER_GUEST,
        &g.guest.id.to_string(),
    )
    .await?;
    let photo: PhotoId = id.parse().map_err(|_| WebError::NotFound)?;
    let before_status = g.event.settings.moderation;
    match captions::set_own_caption(
        &state.services,
        &g.ctx,
        &g.event,
        &g.guest,
        photo,
        &form.caption,
    )
    .await
    {
        Ok(p) => {
            let held = before_status == domain::Moderation::Approve
                && p.status == domain::PhotoStatus::PendingReview;
            let n = if held { 2 } else { 1 };
            Ok(
                Redirect::to(&format!("/g/{}?captioned={n}#photo-{}", g.event.id, p.id))
                    .into_response(),
            )
        }
        Err(DetailsError::Invalid(problems)) => {
            let message = problems
                .first()
                .map(|(_, p)| detail_message(t, p))
                .unwrap_or_default();
            crate::pages::guest::guest_page(
                &state,
                nonce,
                &form_token,
                &g,
                String::new(),
                t.get("captions.error").replace("{message}", &message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "photo_edit.html")]
struct EditPage {
    layout: Layout,
    csrf: String,
    event_id: String,
    name: String,
    tile: Tile,
    arrived: String,
    zone: String,
    caption: Field,
    uploader: Field,
    taken_at: Field,
    max_caption: usize,
    max_name: usize,
    invalid: bool,
}

fn render(p: EditPage, status: StatusCode) -> Result<Response, WebError> {
    Ok((status, Html(p.render().map_err(WebError::internal)?)).into_response())
}

/// `GET /app/events/{id}/photos/{photo}/edit`: a photo's caption, who took it and when.
pub async fn edit_form(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path((id, photo)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    let (e, p) =
        captions::photo_for_edit(&state.services, &member.ctx, parse_id(&id)?, photo).await?;
    let page = EditPage {
        layout: Layout::for_member(nonce, &member, "events"),
        csrf: member.session.csrf_token.clone(),
        event_id: e.id.to_string(),
        name: e.name.clone(),
        tile: tile(&state, t, &p, member.ctx.now),
        arrived: t.get("captions.arrived").replace(
            "{at}",
            &t.date("day_time", &p.created_at.with_timezone(&e.time_zone.0)),
        ),
        zone: e.time_zone.name().to_owned(),
        caption: Field::with_value(p.caption.as_deref().unwrap_or_default()),
        uploader: Field::with_value(&p.uploader_name),
        taken_at: Field::with_value(&captions::taken_at_input(&p, e.time_zone)),
        max_caption: Caption::MAX_LEN,
        max_name: captions::MAX_UPLOADER_NAME,
        invalid: false,
    };
    render(page, StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    caption: String,
    #[serde(default)]
    uploader_name: String,
    #[serde(default)]
    taken_at: String,
}

/// `POST /app/events/{id}/photos/{photo}/edit`: saves the corrections (logged), back to the
/// photos page; fields that are not right show the form again with their messages (422).
pub async fn edit_save(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path((id, photo)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<Response, WebError> {
    let t = Catalog::current();
    let event = parse_id(&id)?;
    let photo: PhotoId = photo.parse().map_err(|_| WebError::NotFound)?;
    let edit = PhotoEdit {
        caption: Some(form.caption.clone()),
        uploader_name: Some(form.uploader_name.clone()),
        taken_at: Some(form.taken_at.clone()),
    };
    match captions::edit_event_photo(&state.services, &member.ctx, event, photo, &edit).await {
        Ok(p) => Ok(Redirect::to(&format!(
            "/app/events/{event}/photos?edited=1#photo-{}",
            p.id
        ))
        .into_response()),
        Err(DetailsError::Invalid(problems)) => {
            let (e, p) =
                captions::photo_for_edit(&state.services, &member.ctx, event, photo).await?;
            let field = |name: &str, value: &str| Field {
                value: value.to_owned(),
                error: problems
                    .iter()
                    .find(|(f, _)| *f == name)
                    .map(|(_, pr)| detail_message(t, pr))
                    .unwrap_or_default(),
            };
            let page = EditPage {
                layout: Layout::for_member(nonce, &member, "events"),
                csrf: member.session.csrf_token.clone(),
                event_id: e.id.to_string(),
                name: e.name.clone(),
                tile: tile(&state, t, &p, member.ctx.now),
                arrived: t.get("captions.arrived").replace(
                    "{at}",
                    &t.date("day_time", &p.created_at.with_timezone(&e.time_zone.0)),
                ),
                zone: e.time_zone.name().to_owned(),
                caption: field("caption", &form.caption),
                uploader: field("uploader_name", &form.uploader_name),
                taken_at: field("taken_at", &form.taken_at),
                max_caption: Caption::MAX_LEN,
                max_name: captions::MAX_UPLOADER_NAME,
                invalid: true,
            };
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
