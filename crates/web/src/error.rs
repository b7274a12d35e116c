//! The web layer's one error type, and the one place errors become responses.
//!
//! A handler returns `Err(WebError)`; its `IntoResponse` logs internal causes once (inside the
//! request's span, so with the request id) and leaves an [`ErrorInfo`] on an empty response.
//! [`render_errors`] then renders that as an HTML page in the site's style, or for `/api/*` as
//! `{"error":{"code","message"}}`. Internal error text never reaches the client.

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use service::events::EventError;
use service::photos::UploadError;
use service::records::StoreError;

use crate::i18n::Catalog;
use crate::observe::RequestId;
use crate::pages::Layout;
use crate::security::CspNonce;

/// What went wrong, as a client may learn it.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden")]
    Forbidden,
    /// The request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A status change the current status does not allow; `allowed` lists the ones it does.
    #[error("bad transition")]
    BadTransition { allowed: Vec<&'static str> },
    /// Fields that were not right, each with its sentence (422).
    #[error("invalid input")]
    Invalid { fields: Vec<(&'static str, String)> },
    /// No valid session (API routes; pages redirect to the login form instead).
    #[error("unauthorized")]
    Unauthorized,
    /// A state-changing request failed the CSRF checks (token, Origin or Sec-Fetch-Site).
    #[error("cross-site request refused")]
    CsrfRejected,
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    /// A refusal with its own status, stable code and message (uploads: 413, 415, 422 …).
    #[error("{code}: {message}")]
    Rejected {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// Anything unexpected. Logged with its cause; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        WebError::Internal(err.into())
    }
}

impl From<StoreError> for WebError {
    fn from(err: StoreError) -> Self {
        WebError::internal(err)
    }
}

/// The role does not allow the action: a 403 that says so (not a bare "forbidden").
impl From<domain::Denied> for WebError {
    fn from(d: domain::Denied) -> Self {
        tracing::info!(action = ?d.0, "refused by the permission table");
        WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "not_permitted",
            message: Catalog::current().get("error.not_permitted").to_owned(),
        }
    }
}

impl From<service::Error> for WebError {
    fn from(e: service::Error) -> Self {
        match e {
            service::Error::Denied(d) => d.into(),
            service::Error::NotFound => WebError::NotFound,
            service::Error::GuestBlocked => WebError::Rejected {
                status: StatusCode::FORBIDDEN,
                code: "blocked",
                message: Catalog::current().get("guests.refused_blocked").to_owned(),
            },
            service::Error::Store(s) => s.into(),
        }
    }
}

/// A plan's limit reached, as the person sees it: which limit, and what to do (403).
impl From<service::usage::LimitReached> for WebError {
    fn from(l: service::usage::LimitReached) -> Self {
        WebError::Rejected {
            status: StatusCode::FORBIDDEN,
            code: "plan_limit_reached",
            message: limit_message(Catalog::current(), &l),
        }
    }
}

/// The sentence for a reached limit, with the limit written as people read it.
pub fn limit_message(t: &Catalog, l: &service::usage::LimitReached) -> String {
    let limit = match l.resource {
        domain::plan::Resource::Storage => {
            crate::pages::chart::human_bytes(i64::try_from(l.limit).unwrap_or(i64::MAX))
        }
        _ => l.limit.to_string(),
    };
    t.get(&format!("usage.full_{}", l.resource.as_str()))
        .replace("{limit}", &limit)
}

impl From<EventError> for WebError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::NotFound => WebError::NotFound,
            EventError::LimitReached(l) => l.into(),
            EventError::BadTransition { from, .. } => WebError::BadTransition {
                allowed: from.next_options().iter().map(|s| s.as_str()).collect(),
            },
            EventError::Denied(d) => d.into(),
            EventError::Store(s) => s.into(),
            EventError::Invalid(problems) => {
                let t = Catalog::current();
                WebError::Invalid {
                    fields: problems
                        .iter()
                        .map(|(f, p)| (*f, crate::messages::event_field_message(t, p)))
                        .collect(),
                }
            }
        }
    }
}

/// An upload refusal as the person sees it (page or JSON), with its status and stable code.
impl From<UploadError> for WebError {
    fn from(e: UploadError) -> Self {
        let t = Catalog::current();
        let (status, code, message) = match e {
            UploadError::TooLarge { limit_mb } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                t.get("upload.too_large")
                    .replace("{mb}", &limit_mb.to_string()),
            ),
            UploadError::Empty => (
                StatusCode::BAD_REQUEST,
                "empty",
                t.get("upload.empty").to_owned(),
            ),
            UploadError::Unsupported => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                t.get("upload.unsupported").to_owned(),
            ),
            UploadError::HeicUnavailable(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "heic_unavailable",
                t.get("upload.heic_unavailable").to_owned(),
            ),
            UploadError::TooManyPixels { width, height } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_pixels",
                t.get("upload.too_many_pixels")
                    .replace("{w}", &width.to_string())
                    .replace("{h}", &height.to_string()),
            ),
            UploadError::Corrupt(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "corrupt",
                t.get("upload.corrupt").to_owned(),
            ),
            UploadError::EventNotFound => return WebError::NotFound,
            UploadError::LimitReached(l) => (
                StatusCode::FORBIDDEN,
                "plan_limit_reached",
                t.get("upload.plan_full").to_owned() + " " + &limit_message(t, &l),
            ),
            UploadError::EventClosed => (
                StatusCode::CONFLICT,
                "event_closed",
                t.get("upload.event_closed").to_owned(),
            ),
            UploadError::Interrupted => (
                StatusCode::BAD_REQUEST,
                "interrupted",
                t.get("upload.interrupted").to_owned(),
            ),
            UploadError::Storage(why) => {
                tracing::error!(error = %why, "photo storage failed during an upload");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    t.get("upload.storage").to_owned(),
                )
            }
            UploadError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                tracing::error!(error = %io, "the upload folder is full");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    t.get("upload.storage").to_owned(),
                )
            }
            UploadError::Io(io) => return WebError::internal(io),
            UploadError::Denied(d) => return d.into(),
            UploadError::Store(s) => return s.into(),
        };
        WebError::Rejected {
            status,
            code,
            message,
        }
    }
}

/// The public face of an error, attached to the response for [`render_errors`].
#[derive(Debug, Clone, Default)]
pub struct ErrorInfo {
    /// Stable, machine-readable (`not_found`, `rate_limited` …).
    pub code: &'static str,
    /// A sentence a person understands, from the message catalogue.
    pub message: String,
    /// `invalid`: a sentence per field.
    pub fields: Vec<(&'static str, String)>,
    /// `bad_transition`: where the event may go from here.
    pub allowed: Vec<&'static str>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let t = Catalog::current();
        let (status, code, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                t.get("error.not_found").to_owned(),
            ),
            WebError::BadRequest(msg) => (StatusCode::BAD_REQUEST, "bad_request", msg.clone()),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                t.get("error.forbidden").to_owned(),
            ),
            WebError::Conflict(msg) => (StatusCode::CONFLICT, "conflict", msg.clone()),
            WebError::BadTransition { .. } => (
                StatusCode::CONFLICT,
                "bad_transition",
                t.get("events.bad_transition").to_owned(),
            ),
            WebError::Invalid { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                t.get("form.fix_below").to_owned(),
            ),
            WebError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                t.get("error.unauthorized").to_owned(),
            ),
            WebError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "csrf_rejected",
                t.get("error.csrf").to_owned(),
            ),
            WebError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                t.get("error.rate_limited").to_owned(),
            ),
            WebError::Unavailable(what) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                t.get("error.unavailable").replace("{what}", what),
            ),
            WebError::Rejected {
                status,
                code,
                message,
            } => (*status, *code, message.clone()),
            WebError::Internal(cause) => {
                tracing::error!(error = %cause, error.debug = ?cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    t.get("error.internal").to_owned(),
                )
            }
        };
        let mut res = status.into_response();
        if let WebError::TooManyRequests { retry_after } = self {
            let secs = retry_after.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        let (fields, allowed) = match self {
            WebError::Invalid { fields } => (fields, Vec::new()),
            WebError::BadTransition { allowed } => (Vec::new(), allowed),
            _ => (Vec::new(), Vec::new()),
        };
        res.extensions_mut().insert(ErrorInfo {
            code,
            message,
            fields,
            allowed,
        });
        res
    }
}

/// The fallback route: nothing lives here.
pub async fn not_found() -> WebError {
    WebError::NotFound
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    message: &'a str,
    /// Shown on server errors so a person can quote it to support; it finds the log line.
    request_id: Option<String>,
}

/// The JSON error envelope, `{"error":{"code","message"}}`: built here and nowhere else.
#[derive(Debug, serde::Serialize)]
pub struct Envelope<'a> {
    pub error: EnvelopeBody<'a>,
}

#[derive(Debug, serde::Serialize)]
pub struct EnvelopeBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<std::collections::BTreeMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<&'a [&'static str]>,
}

fn envelope(status: StatusCode, info: &ErrorInfo) -> Response {
    let body = Envelope {
        error: EnvelopeBody {
            code: info.code,
            message: &info.message,
            fields: (!info.fields.is_empty())
                .then(|| info.fields.iter().map(|(f, m)| (*f, m.as_str())).collect()),
            allowed: (info.code == "bad_transition").then_some(info.allowed.as_slice()),
        },
    };
    (status, Json(body)).into_response()
}

/// An error as JSON whatever the route (pages' scripts that post to page routes want JSON).
pub fn json_error(err: WebError) -> Response {
    let mut res = err.into_response();
    let status = res.status();
    match res.extensions_mut().remove::<ErrorInfo>() {
        Some(info) => {
            let mut out = envelope(status, &info);
            for (name, value) in res.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    out.headers_mut().append(name.clone(), value.clone());
                }
            }
            out
        }
        None => res,
    }
}

/// Renders errors (ours, and axum's bare 404/405) as a page or a JSON envelope.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let nonce = req
        .extensions()
        .get::<CspNonce>()
        .cloned()
        .unwrap_or_default();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let mut res = next.run(req).await;
    let status = res.status();
    let info = match res.extensions_mut().remove::<ErrorInfo>() {
        Some(info) => info,
        // axum's own bare answers (e.g. 405 for a wrong method) get the same treatment.
        None if status == StatusCode::METHOD_NOT_ALLOWED => ErrorInfo {
            code: "method_not_allowed",
            message: Catalog::current()
                .get("error.method_not_allowed")
                .to_owned(),
            ..ErrorInfo::default()
        },
        None => return res,
    };
    let mut headers = std::mem::take(res.headers_mut());
    headers.remove(header::CONTENT_LENGTH);
    let mut out = if is_api {
        envelope(status, &info)
    } else {
        let t = Catalog::current();
        let title_key = match status.as_u16() {
            404 => "error.title.404",
            401 => "error.title.401",
            403 => "error.title.403",
            429 => "error.title.429",
            400..=499 => "error.title.4xx",
            _ => "error.title.5xx",
        };
        let page = ErrorPage {
            layout: Layout::new(nonce),
            status: status.as_u16(),
            title: t.get(title_key),
            message: &info.message,
            request_id: request_id.filter(|_| status.is_server_error()),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, info.message).into_response()
            }
        }
    };
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}
