//! The live feed over WebSocket and its polling fallback, for members, guests and walls
//! (docs/LIVE.md). Handlers check who is asking (the same checks as the pages), then hand the
//! socket to [`drive`], which only moves what [`service::live::Subscription`] decides.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use service::live::{self, Next, Viewer};

use crate::auth::{CurrentGuest, CurrentMember, check_socket_origin};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::params::parse_id;
use crate::{AppState, WebError};

/// Largest frame a client may send (they send nothing but pongs and closes).
const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// A `tick` and a ping this often; a socket silent for three of them is dropped.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// How long a client has to answer a ping before its socket is dropped.
const PONG_WAIT: Duration = Duration::from_secs(45);

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
type Upgrade = Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>;

fn upgrade(
    state: AppState,
    ws: Upgrade,
    viewer: Viewer,
    since: Option<i64>,
) -> Result<Response, WebError> {
    let ws =
        ws.map_err(|_| WebError::BadRequest(Catalog::current().get("live.not_socket").to_owned()))?;
    Ok(ws
        .read_buffer_size(4 * 1024)
        // Each message is written out as it is sent: nothing is kept per socket between them.
        .write_buffer_size(0)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| drive(state, socket, viewer, since))
        .into_response())
}

/// Moves the feed to one socket until either side ends it.
async fn drive(state: AppState, mut socket: WebSocket, viewer: Viewer, since: Option<i64>) {
    let mut sub = match state.services.live.subscribe(viewer, since).await {
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
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            next = sub.next() => match next {
                Next::Message(text) => {
                    if socket.send(Message::Text(text.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                Next::Reload => {
                    let _ = socket.send(Message::Text(r#"{"type":"reload"}"#.into())).await;
                    let _ = close(&mut socket, 1000, "reload").await;
                    return;
                }
                Next::Close(code, reason) => {
                    let _ = close(&mut socket, code, reason).await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // Pongs, and anything a client says: it is alive; nothing else is read.
                Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > PONG_WAIT {
                    let _ = close(&mut socket, 1001, "no answer").await;
                    return;
                }
                let ping = socket.send(Message::Ping(Default::default())).await;
                let tick = socket.send(Message::Text(r#"{"type":"tick"}"#.into())).await;
                if ping.is_err() || tick.is_err() {
                    return;
                }
            }
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) -> Result<(), axum::Error> {
    socket
        .send(Message::Close(Some(CloseFrame {
            code,
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
    member: CurrentMember,
    Path(id): Path<String>,
    Query(q): Query<Since>,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    check_socket_origin(&state, &headers)?;
    let since = q.parse()?;
    let viewer = live::member_viewer(&state.services, &member.ctx, parse_id(&id)?).await?;
    upgrade(state, ws, viewer, since)
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
    g: CurrentGuest,
    Query(q): Query<Since>,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    check_socket_origin(&state, &headers)?;
    let since = q.parse()?;
    let viewer = live::guest_viewer(&state.services, &g.ctx, g.event.id).await?;
    upgrade(state, ws, viewer, since)
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
    Path(token): Path<String>,
    Query(q): Query<Since>,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    check_socket_origin(&state, &headers)?;
    let since = q.parse()?;
    let open = service::walls::open_wall(&state.services, &token).await?;
    upgrade(state, ws, live::wall_viewer(&open.wall), since)
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
