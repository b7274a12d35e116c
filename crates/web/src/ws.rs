//! WebSocket connections the live feed can write to from its room without waking the
//! connection's task (docs/LIVE.md, "Fan-out").
//!
//! [`Upgrade`] is the HTTP/1.1 handshake (RFC 6455 §4.2); the upgraded connection becomes a
//! [`Conn`], shared by two writers that never interleave their frames:
//! - the room ([`service::live::Outlet`]): one text frame per message, encoded once for every
//!   socket, written with a non-blocking attempt; what the kernel does not take waits in a
//!   bounded queue that the connection's own task drains, and a connection further behind than
//!   that is dropped (its client resumes);
//! - the connection's task, through tungstenite ([`SharedIo`]): the hello, catching up,
//!   heartbeats, closes, and reading what the client sends.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header, request::Parts};
use axum::response::{IntoResponse, Response};
use bytes::{Buf as _, Bytes};
use futures::task::AtomicWaker;
use hyper_util::rt::TokioIo;
use service::live::{Next, Outgoing, Outlet};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// Bytes a connection may hold back for a client that reads slowly before it is dropped
/// (about as many messages as [`service::live::QUEUE`]): the kernel's send buffer comes first,
/// so this is only what overflows it.
pub const MAX_PENDING: usize = 64 * 1024;

/// A WebSocket handshake asked for (HTTP/1.1 `GET` with `Upgrade: websocket`).
#[derive(Debug)]
pub struct Upgrade {
    key: HeaderValue,
    on_upgrade: hyper::upgrade::OnUpgrade,
}

/// The request was not a WebSocket handshake.
#[derive(Debug)]
pub struct NotSocket;

impl IntoResponse for NotSocket {
    fn into_response(self) -> Response {
        crate::WebError::BadRequest(
            crate::i18n::Catalog::current()
                .get("live.not_socket")
                .to_owned(),
        )
        .into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotSocket;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let h = &parts.headers;
        if parts.version > Version::HTTP_11
            || parts.method != Method::GET
            || !has_token(h, header::CONNECTION, "upgrade")
            || !has_token(h, header::UPGRADE, "websocket")
            || h.get(header::SEC_WEBSOCKET_VERSION)
                .is_none_or(|v| v.as_bytes() != b"13")
        {
            return Err(NotSocket);
        }
        let key = h.get(header::SEC_WEBSOCKET_KEY).ok_or(NotSocket)?.clone();
        let on_upgrade = parts
            .extensions
            .remove::<hyper::upgrade::OnUpgrade>()
            .ok_or(NotSocket)?;
        Ok(Self { key, on_upgrade })
    }
}

/// Whether a comma-separated header lists `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

impl Upgrade {
    /// Answers 101 and runs `f` on the connection once the client has it.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, f: F) -> Response
    where
        F: FnOnce(Arc<Conn>, WebSocketStream<SharedIo>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept =
            tokio_tungstenite::tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let conn = Arc::new(Conn {
                state: Mutex::new(State {
                    io: TokioIo::new(upgraded),
                    pending: VecDeque::new(),
                    pending_bytes: 0,
                    broken: false,
                    end: None,
                    wrote: false,
                }),
                waker: AtomicWaker::new(),
            });
            let ws = WebSocketStream::from_raw_socket(
                SharedIo(conn.clone()),
                Role::Server,
                Some(config),
            )
            .await;
            f(conn, ws).await;
        });
        let mut res = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let h = res.headers_mut();
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(v) = HeaderValue::from_str(&accept) {
            h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
        }
        res
    }
}

/// What the connection's task is to do, besides its own work.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Tell the client this and disconnect.
    End(Next),
    /// The connection failed, or fell too far behind: drop it.
    Broken,
}

/// One upgraded connection.
pub struct Conn {
    state: Mutex<State>,
    /// The connection's task, to wake when the room leaves it something to do.
    waker: AtomicWaker,
}

struct State {
    io: TokioIo<hyper::upgrade::Upgraded>,
    /// Whole frames (the first perhaps partly written) waiting for the socket, in order.
    pending: VecDeque<Bytes>,
    pending_bytes: usize,
    broken: bool,
    end: Option<Next>,
    /// Whether the room wrote since the task last asked ([`Conn::wrote_since`]).
    wrote: bool,
}

impl State {
    fn push(&mut self, b: Bytes) {
        self.pending_bytes += b.len();
        self.pending.push_back(b);
    }

    /// Writes what is pending; `Ready(Ok)` when nothing is left.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while let Some(front) = self.pending.front_mut() {
            match Pin::new(&mut self.io).poll_write(cx, front) {
                Poll::Ready(Ok(0)) => {
                    self.broken = true;
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => {
                    self.pending_bytes -= n;
                    front.advance(n);
                    if front.is_empty() {
                        self.pending.pop_front();
                    }
                }
                Poll::Ready(Err(e)) => {
                    self.broken = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock();
        f.debug_struct("Conn")
            .field("pending_bytes", &st.pending_bytes)
            .field("broken", &st.broken)
            .field("end", &st.end)
            .finish_non_exhaustive()
    }
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for something the room left for this task: drains what the socket did not take
    /// at once, and resolves when the connection is to end.
    pub fn event(&self) -> impl Future<Output = Event> + '_ {
        std::future::poll_fn(move |cx| {
            self.waker.register(cx.waker());
            let mut st = self.lock();
            if st.broken {
                return Poll::Ready(Event::Broken);
            }
            if let Some(next) = st.end.take() {
                return Poll::Ready(Event::End(next));
            }
            match st.drain(cx) {
                Poll::Ready(Err(_)) => Poll::Ready(Event::Broken),
                _ => Poll::Pending,
            }
        })
    }

    /// Whether the room wrote a message since the last call.
    pub fn wrote_since(&self) -> bool {
        std::mem::take(&mut self.lock().wrote)
    }
}

impl Outlet for Conn {
    fn offer(&self, message: &Outgoing<'_>) -> bool {
        let frame = message.wire(|t| text_frame(t.as_bytes()));
        let mut st = self.lock();
        if st.broken || st.end.is_some() {
            return false;
        }
        st.wrote = true;
        if !st.pending.is_empty() {
            if st.pending_bytes + frame.len() > MAX_PENDING {
                st.broken = true;
                drop(st);
                self.waker.wake();
                return false;
            }
            st.push(frame.clone());
            return true;
        }
        // One attempt without waiting. No task waits to write while nothing is pending, so
        // this registers no waker anyone needs; what is left is the task's to drain.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut st.io).poll_write(&mut cx, frame) {
            Poll::Ready(Ok(n)) if n == frame.len() => true,
            Poll::Ready(Ok(n)) if n > 0 => {
                st.push(frame.slice(n..));
                drop(st);
                self.waker.wake();
                true
            }
            Poll::Pending => {
                st.push(frame.clone());
                drop(st);
                self.waker.wake();
                true
            }
            Poll::Ready(_) => {
                st.broken = true;
                drop(st);
                self.waker.wake();
                false
            }
        }
    }

    fn end(&self, next: Next) {
        let mut st = self.lock();
        if st.end.is_none() {
            st.end = Some(next);
        }
        drop(st);
        self.waker.wake();
    }
}

/// A server's unmasked, unfragmented text frame (RFC 6455 §5.2).
fn text_frame(payload: &[u8]) -> Bytes {
    let len = payload.len();
    let mut f = Vec::with_capacity(len + 10);
    f.push(0x81);
    if len < 126 {
        f.push(len as u8);
    } else if len <= usize::from(u16::MAX) {
        f.push(126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    f.extend_from_slice(payload);
    Bytes::from(f)
}

/// The connection as tungstenite reads and writes it: its writes queue behind what the room
/// left pending, whole, so frames never interleave.
#[derive(Debug)]
pub struct SharedIo(Arc<Conn>);

impl AsyncRead for SharedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut st = self.0.lock();
        Pin::new(&mut st.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut st = self.0.lock();
        if st.broken {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        // Taken whole, now or (behind what is pending) when the task flushes.
        if st.pending.is_empty() {
            match Pin::new(&mut st.io).poll_write(cx, buf) {
                Poll::Ready(Ok(n)) if n == buf.len() => return Poll::Ready(Ok(n)),
                Poll::Ready(Ok(n)) => st.push(Bytes::copy_from_slice(&buf[n..])),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => st.push(Bytes::copy_from_slice(buf)),
            }
        } else {
            st.push(Bytes::copy_from_slice(buf));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // Woken also when the room gives up on the connection.
        self.0.waker.register(cx.waker());
        let mut st = self.0.lock();
        if st.broken {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        match st.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut st.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let mut st = self.0.lock();
        match st.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut st.io).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::text_frame;

    #[test]
    fn text_frames_carry_their_length_in_the_shortest_form() {
        assert_eq!(&text_frame(b"hi")[..], b"\x81\x02hi");
        let mid = text_frame(&[b'a'; 300]);
        assert_eq!(&mid[..4], &[0x81, 126, 1, 44]);
        assert_eq!(mid.len(), 304);
        let big = text_frame(&vec![b'a'; 70_000]);
        assert_eq!(&big[..10], &[0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        assert_eq!(big.len(), 70_010);
    }
}
