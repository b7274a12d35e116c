//! The live feed over WebSocket and its polling fallback, for members, guests and walls
//! (docs/LIVE.md). Handlers check who is asking (the same checks as the pages), then hand the
//! socket to [`drive`], which only moves what [`service::live::Subscription`] decides.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use serde_json::{Value, json};
use service::live::{self, Next, Viewer};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

use crate::auth::{ClientIp, CurrentGuest, CurrentMember, check_socket_origin};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::params::{parse_id, parse_photo_id};
use crate::{AppState, WebError, ws};

/// Largest frame a client may send (they send nothing but pongs and closes).
const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// A `tick` and a ping this often; a socket silent for three of them is dropped.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// How long a client has to answer a ping before its socket is dropped.
const PONG_WAIT: Duration = Duration::from_secs(45);

/// How many "showing" messages a wall may send at once (then one a second).
const SHOWING_BURST: f64 = 12.0;

/// `?since=N`: the last sequence number the client has.
#[derive(Debug, Default, Deserialize)]
pub struct Since {
    since: Option<String>,
}

impl Since {
    fn parse(&self) -> Result<Option<i64>, WebError> {
        match self.since.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n)),
                _ => Err(WebError::BadRequest(
                    Catalog::current().get("live.bad_since").to_owned(),
                )),
            },
        }
    }
}

/// The upgrade, or a 400 that says this address is for live updates.
type Upgrade = Result<ws::Upgrade, ws::NotSocket>;

fn upgrade(
    state: AppState,
    ws: Upgrade,
    ip: ClientIp,
    viewer: Viewer,
    since: Option<i64>,
) -> Result<Response, WebError> {
    let ws =
        ws.map_err(|_| WebError::BadRequest(Catalog::current().get("live.not_socket").to_owned()))?;
    // Refused before the upgrade: the page's script then polls the same feed.
    let permit = state
        .services
        .live
        .admit(ip.0, &viewer)
        .ok_or_else(|| WebError::Rejected {
            status: axum::http::StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_sockets",
            message: Catalog::current().get("live.too_many").to_owned(),
        })?;
    let config = WebSocketConfig::default()
        // Clients send only pongs, closes and a wall's short "showing": a small buffer (it
        // grows for a longer frame, up to the limit below).
        .read_buffer_size(512)
        // Each frame is written out as it is sent: nothing is kept per socket between them.
        .write_buffer_size(0)
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE));
    Ok(ws.on_upgrade(config, move |conn, socket| {
        drive(state, conn, socket, viewer, since, permit)
    }))
}

type Socket = WebSocketStream<ws::SharedIo>;

/// Moves the feed to one socket until either side ends it: the messages it missed through
/// its subscription, then, caught up, the room writes them into `conn` itself while this task
/// only keeps the heartbeat, reads what the client says and ends the socket when told.
async fn drive(
    state: AppState,
    conn: Arc<ws::Conn>,
    mut socket: Socket,
    viewer: Viewer,
    since: Option<i64>,
    // Held for as long as the socket is open.
    _permit: live::Permit,
) {
    // Boxed: joining reads the store once, and a database query's future is large; inline,
    // it would stay part of every socket's task for as long as the socket is open.
    let mut sub = match Box::pin(state.services.live.subscribe(viewer, since)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "live: could not join the event's room");
            let _ = close(&mut socket, 1011, "server error").await;
            return;
        }
    };
    let head = sub.head();
    let hello = json!({
        "type": "hello",
        "head": head.seq,
        "audience": viewer.audience.as_str(),
        "blank": head.walls_blank,
    });
    if socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut closed = state.services.live.closing();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    let mut sent_since_beat = false;
    let (mut budget, mut refilled) = (SHOWING_BURST, last_heard);
    let mut direct = false;
    loop {
        if !direct {
            direct = sub.go_direct(conn.clone());
        }
        let next = tokio::select! {
            next = sub.next(), if !direct => next,
            event = conn.event() => match event {
                ws::Event::End(next) => next,
                ws::Event::Broken => return,
            },
            _ = closed.changed() => Next::Close(1001, "going away"),
            incoming = socket.next() => {
                match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    // A wall saying what it shows (a mosaic's twelve at once, then one a second).
                    Some(Ok(Message::Text(text))) => {
                        let now = tokio::time::Instant::now();
                        last_heard = now;
                        budget = (budget + now.duration_since(refilled).as_secs_f64()).min(SHOWING_BURST);
                        refilled = now;
                        if matches!(viewer.audience, live::Audience::Wall(_))
                            && budget >= 1.0
                            && let Some(photo) = showing_of(&text)
                        {
                            budget -= 1.0;
                            let services = state.services.clone();
                            tokio::spawn(async move {
                                let at = services.clock.now();
                                if let Err(e) = service::walls::photo_showing(&services, &viewer, photo, at).await {
                                    tracing::debug!(error = %e, "live: a wall's showing was not noted");
                                }
                            });
                        }
                    }
                    // Pongs, and anything else a client says: it is alive; nothing else is read.
                    Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
                }
                continue;
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > PONG_WAIT {
                    Next::Close(1001, "no answer")
                } else {
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        return;
                    }
                    // Any message tells the page the socket is alive: a tick only when quiet.
                    let quiet = !std::mem::take(&mut sent_since_beat) && !conn.wrote_since();
                    if quiet && socket.send(Message::Text(Utf8Bytes::from_static(r#"{"type":"tick"}"#))).await.is_err() {
                        return;
                    }
                    continue;
                }
            }
        };
        match next {
            Next::Message(text) => {
                // The room's bytes, shared: nothing is copied per socket before the frame.
                let Ok(text) = Utf8Bytes::try_from(text.bytes()) else {
                    continue;
                };
                if socket.send(Message::Text(text)).await.is_err() {
                    return;
                }
                sent_since_beat = true;
            }
            Next::Reload => {
                let _ = tokio::time::timeout(PONG_WAIT, async {
                    socket
                        .send(Message::Text(Utf8Bytes::from_static(
                            r#"{"type":"reload"}"#,
                        )))
                        .await?;
                    close(&mut socket, 1000, "reload").await
                })
                .await;
                return;
            }
            Next::Close(code, reason) => {
                let _ = tokio::time::timeout(PONG_WAIT, close(&mut socket, code, reason)).await;
                return;
            }
        }
    }
}

/// `{"type":"showing","photo":ID}`: what a wall's page says it shows.
fn showing_of(text: &str) -> Option<domain::PhotoId> {
    #[derive(Deserialize)]
    struct Showing<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        photo: &'a str,
    }
    let m: Showing<'_> = serde_json::from_str(text).ok()?;
    (m.kind == "showing").then(|| m.photo.parse().ok())?
}

async fn close(
    socket: &mut Socket,
    code: u16,
    reason: &'static str,
) -> Result<(), tungstenite::Error> {
    socket
        .send(Message::Close(Some(CloseFrame {
            code: code.into(),
            reason: reason.into(),
        })))
        .await
}

/// The polling answer: `{"head", "more", "reload", "messages"}`.
async fn poll_json(
    state: &AppState,
    viewer: &Viewer,
    since: Option<i64>,
) -> Result<Response, WebError> {
    let since = match since {
        Some(s) => s,
        // Without a place to start from: only where the feed is now.
        None => {
            let p = live::poll(&state.services, viewer, i64::MAX).await?;
            return Ok(Json(
                json!({ "head": p.head, "more": false, "reload": false, "messages": [] }),
            )
            .into_response());
        }
    };
    let p = live::poll(&state.services, viewer, since).await?;
    let messages: Vec<Value> = p
        .messages
        .iter()
        .filter_map(|m| serde_json::from_str(m).ok())
        .collect();
    Ok(Json(json!({
        "head": p.head,
        "more": p.more,
        "reload": p.reload,
        "messages": messages,
    }))
    .into_response())
}

/// `GET /app/events/{id}/live`: a member's socket.
pub async fn member_socket(
    State(state): State<AppState>,
    ip: ClientIp,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(q): Query<Since>,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    check_socket_origin(&state, &headers)?;
    let since = q.parse()?;
    let viewer = live::member_viewer(&state.services, &member.ctx, parse_id(&id)?).await?;
    upgrade(state, ws, ip, viewer, since)
}

/// `GET /app/events/{id}/feed`: a member's polling.
pub async fn member_feed(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(q): Query<Since>,
) -> Result<Response, WebError> {
    let since = q.parse()?;
    let viewer = live::member_viewer(&state.services, &member.ctx, parse_id(&id)?).await?;
    poll_json(&state, &viewer, since).await
}

/// `GET /g/{event}/live`: a guest's socket.
pub async fn guest_socket(
    State(state): State<AppState>,
    ip: ClientIp,
    g: CurrentGuest,
    Query(q): Query<Since>,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    check_socket_origin(&state, &headers)?;
    let since = q.parse()?;
    let viewer = live::guest_viewer(&state.services, &g.ctx, g.event.id).await?;
    upgrade(state, ws, ip, viewer, since)
}

/// `GET /g/{event}/feed`: a guest's polling.
pub async fn guest_feed(
    State(state): State<AppState>,
    g: CurrentGuest,
    Query(q): Query<Since>,
) -> Result<Response, WebError> {
    let since = q.parse()?;
    let viewer = live::guest_viewer(&state.services, &g.ctx, g.event.id).await?;
    poll_json(&state, &viewer, since).await
}

/// `GET /w/{token}/live`: a wall's socket.
pub async fn wall_socket(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(token): Path<String>,
    Query(q): Query<Since>,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    check_socket_origin(&state, &headers)?;
    let since = q.parse()?;
    let open = service::walls::open_wall(&state.services, &token).await?;
    upgrade(state, ws, ip, live::wall_viewer(&open.wall), since)
}

/// `GET /w/{token}/feed`: a wall's polling.
pub async fn wall_feed(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<Since>,
) -> Result<Response, WebError> {
    let since = q.parse()?;
    let open = service::walls::open_wall(&state.services, &token).await?;
    poll_json(&state, &live::wall_viewer(&open.wall), since).await
}

/// `photo=ID` from a wall's page that polls instead of holding a socket.
#[derive(Debug, Deserialize)]
pub struct ShowingForm {
    photo: String,
}

/// `POST /w/{token}/showing`: a polling wall says which photo it shows (what its socket says
/// otherwise). 204 whether or not it was the first time.
pub async fn wall_showing(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    // No session and no CSRF token: the link in the path is the wall's only credential.
    let form: ShowingForm = serde_urlencoded::from_bytes(&body).map_err(|_| {
        WebError::BadRequest(Catalog::current().get("error.form_incomplete").to_owned())
    })?;
    let photo = parse_photo_id(&form.photo)?;
    let open = service::walls::open_wall(&state.services, &token).await?;
    let viewer = live::wall_viewer(&open.wall);
    service::walls::photo_showing(&state.services, &viewer, photo, state.services.clock.now())
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
