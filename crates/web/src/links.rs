//! The absolute links Momentique hands out (join links, QR codes, posters).

use axum::http::{HeaderMap, header};

use crate::AppState;

/// The base of every link we hand out: the public URL, else this request's host.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    match &state.config.public_url {
        Some(u) => (u.trim_end_matches('/').to_owned(), true),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:8080");
            (format!("http://{host}"), false)
        }
    }
}

/// Where `cargo run` serves, for mailed links when neither a public URL nor a local host is
/// known.
pub const DEFAULT_LOCAL_URL: &str = "http://127.0.0.1:8080";

/// The base of links sent by mail (password resets, invitations, verification): the public
/// URL. Without one (a laptop, `cargo run`) the request's host only when it is this machine,
/// else the bind address: a `Host` header is the sender's to choose, and a reset link to a
/// host of theirs would hand them the token.
pub fn mail_base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_local_host(h));
    match host {
        Some(h) => format!("http://{h}"),
        None => DEFAULT_LOCAL_URL.to_owned(),
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with an optional port.
fn is_local_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    matches!(name, "localhost" | "127.0.0.1" | "::1")
        && host
            .rsplit_once(':')
            .is_none_or(|(_, port)| port.ends_with(']') || port.parse::<u16>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_trusted_as_a_host_for_mailed_links() {
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(is_local_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example:80",
            "127.0.0.1:80@evil.example",
            "evil.example:127",
            "",
        ] {
            assert!(!is_local_host(bad), "{bad}");
        }
    }
}
