//! The query and path extractors every route uses, in place of axum's own: their refusals are
//! [`WebError`]s, so a bad address answers like every other error — an HTML page for the
//! pages, the JSON envelope `{"error":{"code","message"}}` under `/api/` — never axum's plain
//! text.
//!
//! - [`Query`]: a query string that does not fit the handler's parameters (`limit=abc`) is a
//!   400 `bad_query` saying which; a value with a control character (NUL …) is a 400 too,
//!   before it can reach a database that refuses it.
//! - [`Multipart`]: a body that is not a multipart form is a 400 with a message.
//! - [`Path`]: a path parameter that is not valid UTF-8 (`%FF`), has a control character, or
//!   does not parse (a UUID that is not one) is a 404: nothing lives at that address.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::WebError;
use crate::i18n::Catalog;

/// Whether decoded text holds a control character (NUL, escape, line breaks …).
fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The query string parsed into `T`; refusals are 400 `bad_query` with a message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// The refusal of a query string: `detail` says what did not fit.
fn bad_query(detail: Option<&str>) -> WebError {
    let t = Catalog::current();
    let message = match detail {
        Some(d) => t.get("error.bad_query").replace("{detail}", d),
        None => t.get("error.query_control").to_owned(),
    };
    WebError::Rejected {
        status: StatusCode::BAD_REQUEST,
        code: "bad_query",
        message,
    }
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WebError> {
        let raw = parts.uri.query().unwrap_or_default();
        // Decoded as a form would be (invalid UTF-8 becomes U+FFFD, which is harmless).
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).unwrap_or_default();
        if pairs.iter().any(|(k, v)| has_control(k) || has_control(v)) {
            return Err(bad_query(None));
        }
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let text = e.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                Err(bad_query(Some(detail)))
            }
            Err(e) => Err(bad_query(Some(&e.body_text()))),
        }
    }
}

/// The path parameters parsed into `T`; an address that does not fit is a 404.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        // Percent-decoded; invalid UTF-8 (`%FF`) is refused here.
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound)?;
        if raw.iter().any(|(_, v)| has_control(v)) {
            return Err(WebError::NotFound);
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(WebError::NotFound),
            // No parameters on a route that expects some: a wiring mistake of ours.
            Err(e) => Err(WebError::internal(e)),
        }
    }
}

/// A multipart form; a body that is not one (no boundary, another content type) is a 400
/// saying so, as a page or the JSON envelope. Reads like axum's own (`form.next_field()`).
#[derive(Debug)]
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Multipart {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|_| WebError::BadRequest(Catalog::current().get("upload.bad_form").to_owned()))
    }
}

impl std::ops::Deref for Multipart {
    type Target = axum::extract::Multipart;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Multipart {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[derive(Debug, serde::Deserialize)]
    struct Params {
        limit: Option<u32>,
        #[serde(default)]
        q: String,
    }

    async fn query(uri: &str) -> Result<Params, WebError> {
        let (mut parts, ()) = Request::get(uri).body(()).expect("request").into_parts();
        Query::<Params>::from_request_parts(&mut parts, &())
            .await
            .map(|Query(p)| p)
    }

    fn message(e: WebError) -> (StatusCode, String) {
        match e {
            WebError::Rejected {
                status, message, ..
            } => (status, message),
            other => panic!("not a refusal: {other:?}"),
        }
    }

    #[tokio::test]
    async fn queries_that_do_not_fit_are_400_with_a_message() {
        let p = query("/x?limit=5&q=Anna").await.expect("fits");
        assert_eq!((p.limit, p.q.as_str()), (Some(5), "Anna"));
        let (status, msg) = message(query("/x?limit=abc").await.expect_err("not a number"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(msg.contains("limit"), "{msg}");
        let (status, msg) = message(query("/x?q=a%00b").await.expect_err("NUL"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(msg.contains("characters"), "{msg}");
        // Invalid UTF-8 in a value is read as U+FFFD, not refused.
        assert!(query("/x?q=%FF").await.is_ok());
    }
}
