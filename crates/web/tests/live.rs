//! The live feed through the real router and a real socket: order, resume from any sequence
//! number, what each audience may see, revocation, a slow viewer, the relay and Redis across
//! instances. SQLite and PostgreSQL.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures::StreamExt as _;
use serde_json::{Value, json};
use service::Services;
use service::live::{self, Next};
use support::{Backing, Browser, TestApp, jpeg, process, tenant_of};
use test_support::db_test;
use tokio_tungstenite::tungstenite;

/// A host's live event on "hold for approval", two guests who joined.
struct Party<'a> {
    host: Browser<'a>,
    lena: Browser<'a>,
    max: Browser<'a>,
    event: String,
    tenant: domain::TenantId,
}

async fn party<'a>(app: &'a TestApp, settings: Value) -> Party<'a> {
    let host = app.browser("198.51.100.1");
    host.register("Ada Host", "Ada's Weddings").await;
    let tenant = tenant_of(&host).await;
    let (event, link) = support::live_event(&host, settings).await;
    let lena = app.browser("198.51.100.30");
    let max = app.browser("198.51.100.31");
    support::join(&lena, &link, "Lena").await;
    support::join(&max, &link, "Max").await;
    Party {
        host,
        lena,
        max,
        event,
        tenant,
    }
}

/// A guest's upload, processed as the worker would; returns the photo id.
async fn upload(app: &TestApp, p: &Party<'_>, guest: &Browser<'_>, seed: u8) -> String {
    let r = guest
        .request(
            Request::post(format!("/g/{}/photos", p.event))
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(jpeg(320, 240, seed)))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    process(app, p.tenant, &id).await;
    id
}

/// The whole feed for a reader from `since`, following `more`.
async fn poll_all(b: &Browser<'_>, base: &str, since: i64) -> (i64, Vec<Value>) {
    let mut since = since;
    let mut all = Vec::new();
    loop {
        let r = b.get(&format!("{base}/feed?since={since}")).await;
        assert_eq!(r.status, StatusCode::OK, "{base}: {}", r.body);
        let v = r.json();
        assert_eq!(v["reload"], json!(false), "{}", r.body);
        all.extend(v["messages"].as_array().expect("messages").iter().cloned());
        since = v["head"].as_i64().expect("head");
        if v["more"] != json!(true) {
            return (since, all);
        }
    }
}

fn kinds(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .map(|m| m["type"].as_str().expect("type").to_owned())
        .collect()
}

fn about<'m>(msgs: &'m [Value], photo: &str) -> Vec<&'m Value> {
    msgs.iter()
        .filter(|m| m["id"] == json!(photo) || m["photo"]["id"] == json!(photo))
        .collect()
}

async fn approve(p: &Party<'_>, photo: &str, action: &str) {
    let page = format!("/app/events/{}/moderation", p.event);
    let r = p
        .host
        .submit(&page, &format!("{page}/{photo}/{action}"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.body);
}

db_test!(
    async fn the_feed_is_in_order_resumes_anywhere_and_filters_each_audience(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({"moderation": "approve"})).await;
        let member_base = format!("/app/events/{}", p.event);
        let guest_base = format!("/g/{}", p.event);

        let photo = upload(&app, &p, &p.lena, 1).await;
        let (_, m) = poll_all(&p.host, &member_base, 0).await;
        assert_eq!(kinds(&m), ["photo.status", "figures", "queue"], "{m:?}");
        assert_eq!(m[0]["status"], "pending_review");
        assert_eq!(m[2]["pending"], 1);
        // Lena sees her own photo waiting; Max sees nothing of it, not even the figures.
        let (_, l) = poll_all(&p.lena, &guest_base, 0).await;
        assert_eq!(kinds(&l), ["photo.status"]);
        let (_, x) = poll_all(&p.max, &guest_base, 0).await;
        assert!(x.is_empty(), "a pending photo reaches no other guest: {x:?}");

        approve(&p, &photo, "approve").await;
        let (_, x) = poll_all(&p.max, &guest_base, 0).await;
        assert_eq!(kinds(&x), ["photo.published"], "{x:?}");
        let ph = &x[0]["photo"];
        assert_eq!(ph["id"], json!(photo));
        assert_eq!(ph["uploader"], "Lena");
        for k in ["thumb", "src", "large"] {
            let url = ph[k].as_str().unwrap_or_else(|| panic!("{k} in {ph}"));
            assert!(url.starts_with("/media/") && url.contains("&s="), "signed: {url}");
        }
        assert_eq!(p.max.get(ph["src"].as_str().expect("src")).await.status, StatusCode::OK);

        approve(&p, &photo, "hide").await;
        let (head, all) = poll_all(&p.host, &member_base, 0).await;
        let seqs: Vec<i64> = all.iter().map(|m| m["seq"].as_i64().expect("seq")).collect();
        assert_eq!(seqs, (1..=head).collect::<Vec<_>>(), "members get every message, in order");
        // From any point, exactly what came after it.
        for from in 0..=head {
            let (h, rest) = poll_all(&p.host, &member_base, from).await;
            assert_eq!(h, head);
            let got: Vec<i64> = rest.iter().map(|m| m["seq"].as_i64().expect("seq")).collect();
            assert_eq!(got, ((from + 1)..=head).collect::<Vec<_>>(), "from {from}");
        }
        let (_, x) = poll_all(&p.max, &guest_base, 0).await;
        assert_eq!(kinds(&x), ["photo.published", "photo.removed"]);
        assert_eq!(about(&x, &photo).len(), 2);

        // Ahead of the feed (another database, a reset): told to reload.
        let r = p.max.get(&format!("{guest_base}/feed?since={}", head + 5)).await;
        assert_eq!(r.json()["reload"], json!(true), "{}", r.body);
        let r = p.max.get(&format!("{guest_base}/feed?since=-1")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let r = p.max.get(&format!("{guest_base}/feed?since=x")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
);

db_test!(
    async fn a_drop_box_event_shows_guests_only_their_own_photos(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({"guest_visibility": "own"})).await;
        let photo = upload(&app, &p, &p.lena, 2).await;
        let guest_base = format!("/g/{}", p.event);
        let (_, l) = poll_all(&p.lena, &guest_base, 0).await;
        assert_eq!(kinds(&l), ["photo.published", "photo.status"], "{l:?}");
        let (_, x) = poll_all(&p.max, &guest_base, 0).await;
        assert!(x.is_empty(), "{x:?}");
        let (_, m) = poll_all(&p.host, &format!("/app/events/{}", p.event), 0).await;
        assert_eq!(about(&m, &photo).len(), 2, "{m:?}");
    }
);

db_test!(
    async fn nobody_else_reads_an_events_feed(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        upload(&app, &p, &p.lena, 3).await;
        let member_feed = format!("/app/events/{}/feed?since=0", p.event);
        let guest_feed = format!("/g/{}/feed?since=0", p.event);

        // Another organization's member: the event does not exist for them.
        let other = app.browser("203.0.113.9");
        other.register("Olga Other", "Other Org").await;
        assert_eq!(other.get(&member_feed).await.status, StatusCode::NOT_FOUND);
        // A guest on the members' feed, a member without a guest session on the guests' one.
        assert_ne!(p.lena.get(&member_feed).await.status, StatusCode::OK);
        assert_eq!(other.get(&guest_feed).await.status, StatusCode::FORBIDDEN);
        // Nobody at all.
        let nobody = app.browser("203.0.113.10");
        assert_ne!(nobody.get(&member_feed).await.status, StatusCode::OK);
        assert_eq!(nobody.get(&guest_feed).await.status, StatusCode::FORBIDDEN);
        // A guest of another organization's event.
        let (_, link2) = support::live_event(&other, json!({})).await;
        let stranger = app.browser("203.0.113.11");
        support::join(&stranger, &link2, "Stranger").await;
        assert_eq!(stranger.get(&guest_feed).await.status, StatusCode::FORBIDDEN);
        // A wall link that is not one.
        assert_eq!(nobody.get("/w/0123456789abcdefghjkmnpqrs/feed").await.status, StatusCode::NOT_FOUND);
        // A plain GET on a socket address says what it is for.
        let r = p.host.get(&format!("/app/events/{}/live", p.event)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
);

/// The app on a real socket, for WebSocket clients.
async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    serve_on(app, listener)
}

/// The same with a kernel send buffer of a few KB per connection (Linux grows it to 4 MB
/// otherwise), so that a client that reads nothing soon fills what is in front of the app.
async fn serve_small_send_buffers(app: &TestApp) -> SocketAddr {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(4096).expect("SO_SNDBUF");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    serve_on(app, socket.listen(64).expect("listen"))
}

fn serve_on(app: &TestApp, listener: tokio::net::TcpListener) -> SocketAddr {
    let addr = listener.local_addr().expect("addr");
    let router = web::router(app.state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    addr
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(
    addr: SocketAddr,
    path: &str,
    b: &Browser<'_>,
    origin: &str,
) -> Result<Socket, tungstenite::Error> {
    tokio_tungstenite::connect_async(socket_request(addr, path, b, origin))
        .await
        .map(|(s, _)| s)
}

/// A socket whose client reads nothing and offers the server a receive window of a few KB.
async fn open_unread(
    addr: SocketAddr,
    path: &str,
    b: &Browser<'_>,
    origin: &str,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = tcp.connect(addr).await.expect("connect");
    tokio_tungstenite::client_async(socket_request(addr, path, b, origin), stream)
        .await
        .expect("socket")
        .0
}

fn socket_request(
    addr: SocketAddr,
    path: &str,
    b: &Browser<'_>,
    origin: &str,
) -> tungstenite::handshake::client::Request {
    use tungstenite::client::IntoClientRequest as _;
    let mut req = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("request");
    let cookies: Vec<String> = b
        .cookies
        .lock()
        .expect("jar")
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let h = req.headers_mut();
    h.insert(header::COOKIE, cookies.join("; ").parse().expect("cookie"));
    h.insert(header::ORIGIN, origin.parse().expect("origin"));
    h.insert(header::HOST, format!("{addr}").parse().expect("host"));
    req
}

/// The next JSON message (ticks skipped), within a few seconds.
async fn next_json(s: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .expect("a message within 5 s")
            .expect("socket open")
            .expect("frame");
        match msg {
            tungstenite::Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).expect("JSON");
                if v["type"] != "tick" && v["type"] != "presence" {
                    return v;
                }
            }
            tungstenite::Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

async fn close_code(s: &mut Socket) -> u16 {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .expect("closed within 5 s");
        match msg {
            Some(Ok(tungstenite::Message::Close(Some(c)))) => return c.code.into(),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

db_test!(
    async fn sockets_resume_check_origin_and_close_when_access_ends(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let addr = serve(&app).await;
        let origin = format!("http://{addr}");
        let first = upload(&app, &p, &p.lena, 4).await;

        // A page of another site cannot open the guest's socket with their cookie.
        let err = open(addr, &format!("/g/{}/live", p.event), &p.max, "https://evil.example").await;
        assert!(err.is_err(), "cross-site socket refused");

        // From 0: hello, then what was missed, then what comes.
        let mut max = open(addr, &format!("/g/{}/live?since=0", p.event), &p.max, &origin)
            .await
            .expect("socket");
        let hello = next_json(&mut max).await;
        assert_eq!(hello["type"], "hello");
        assert_eq!(hello["audience"], "guest");
        let m = next_json(&mut max).await;
        assert_eq!((m["type"].as_str(), m["photo"]["id"].as_str()), (Some("photo.published"), Some(first.as_str())));
        let second = upload(&app, &p, &p.lena, 5).await;
        let m = next_json(&mut max).await;
        assert_eq!(m["photo"]["id"], json!(second), "live, with no reload");
        let last_seq = m["seq"].as_i64().expect("seq");
        assert!(last_seq > 1);

        // A member sees everything, a wall what is on the wall.
        let mut host = open(addr, &format!("/app/events/{}/live?since=0", p.event), &p.host, &origin)
            .await
            .expect("member socket");
        assert_eq!(next_json(&mut host).await["audience"], "member");
        assert_eq!(next_json(&mut host).await["seq"], 1, "members start at the first message");

        // Blocked: the guest's socket closes at once.
        let guest_id = {
            let v = p.host.get(&format!("/api/v1/events/{}/guests", p.event)).await.json();
            v["guests"].as_array().expect("guests").iter()
                .find(|g| g["name"] == "Max").expect("Max")["id"].as_str().expect("id").to_owned()
        };
        let r = p.host.submit(
            &format!("/app/events/{}/guests/{guest_id}/block", p.event),
            &format!("/app/events/{}/guests/{guest_id}/block", p.event),
            &[],
        ).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(close_code(&mut max).await, 4003);
        // And cannot come back.
        assert!(open(addr, &format!("/g/{}/live", p.event), &p.max, &origin).await.is_err());
        let _ = host.close(None).await;
    }
);

db_test!(
    async fn walls_blank_skip_and_end_when_revoked(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let addr = serve(&app).await;
        let origin = format!("http://{addr}");
                let walls_page = format!("/app/events/{}/walls", p.event);
        let (token, page) = make_wall(&p).await;
        let nobody = app.browser("203.0.113.20");
        let wall_page = nobody.get(&format!("/w/{token}")).await;
        assert_eq!(wall_page.status, StatusCode::OK, "a wall opens without logging in");
        assert!(wall_page.body.contains("data-live=\"/w/"), "{}", wall_page.body);

        let photo = upload(&app, &p, &p.lena, 6).await;
        let photos = nobody.get(&format!("/w/{token}/photos")).await.json();
        assert_eq!(photos["photos"][0]["id"], json!(photo));

        let mut wall = open(addr, &format!("/w/{token}/live"), &nobody, &origin).await.expect("wall socket");
        let hello = next_json(&mut wall).await;
        assert_eq!((hello["audience"].as_str(), hello["blank"].as_bool()), (Some("wall"), Some(false)));

        // Blank all screens: the wall hears it; a wall that reconnects comes back blank.
        let r = p.host.submit(&walls_page, &format!("{walls_page}/blank"), &[("on", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let m = next_json(&mut wall).await;
        assert_eq!((m["type"].as_str(), m["on"].as_bool()), (Some("wall.blank"), Some(true)));
        let mut again = open(addr, &format!("/w/{token}/live"), &nobody, &origin).await.expect("reconnect");
        assert_eq!(next_json(&mut again).await["blank"], json!(true));
        let _ = again.close(None).await;

        // Not on the wall: the wall drops it; the gallery keeps it.
        let r = p.host.submit(&format!("/app/events/{}/photos", p.event), &format!("/app/events/{}/photos/{photo}/wall", p.event), &[("off", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let m = next_json(&mut wall).await;
        assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("wall.skip"), Some(photo.as_str())));
        let photos = nobody.get(&format!("/w/{token}/photos")).await.json();
        assert_eq!(photos["photos"], json!([]));

        // Revoked: the open wall closes and the link opens nothing.
        let wall_id = {
            let at = page.body.find("id=\"wall-").expect("row") + "id=\"wall-".len();
            page.body[at..at + 36].to_owned()
        };
        let r = p.host.submit(&walls_page, &format!("{walls_page}/{wall_id}/revoke"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(close_code(&mut wall).await, 4003);
        assert_eq!(nobody.get(&format!("/w/{token}")).await.status, StatusCode::NOT_FOUND);

        // A guest may not blank walls; another organization may not see them.
        let r = p.lena.post(&format!("{walls_page}/blank"), &[("on", "0")]).await;
        assert!(r.status != StatusCode::SEE_OTHER || r.location().starts_with("/login"), "{} {:?}", r.status, r.headers);
        let refused = open(addr, &format!("/app/events/{}/live", p.event), &p.lena, &origin).await;
        assert!(refused.is_err(), "no member socket for a guest");
        let other = app.browser("203.0.113.21");
        other.register("Olga Other", "Other Org").await;
        assert_eq!(other.get(&walls_page).await.status, StatusCode::NOT_FOUND);
    }
);

/// A wall made on the walls page: its token, and the walls page after.
async fn make_wall(p: &Party<'_>) -> (String, support::Reply) {
    let walls_page = format!("/app/events/{}/walls", p.event);
    let r = p
        .host
        .submit(
            &walls_page,
            &walls_page,
            &[
                ("name", "Main hall"),
                ("hold_seconds", "0"),
                ("slide_seconds", "8"),
                ("layout", "single"),
                ("captions", "1"),
                ("qr", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = p.host.get(&walls_page).await;
    let at = page.body.find("/w/").expect("the wall's link on the page");
    let token: String = page.body[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(token.len(), 26, "{token}");
    (token, page)
}

db_test!(
    async fn a_guest_is_told_once_when_a_wall_shows_their_photo(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let addr = serve(&app).await;
        let origin = format!("http://{addr}");
        let (token, _) = make_wall(&p).await;
        let nobody = app.browser("203.0.113.22");
        let first = upload(&app, &p, &p.lena, 7).await;
        let second = upload(&app, &p, &p.lena, 8).await;
        let (head, _) = poll_all(&p.lena, &format!("/g/{}", p.event), 0).await;

        let mut lena = open(addr, &format!("/g/{}/live?since={head}", p.event), &p.lena, &origin).await.expect("guest socket");
        assert_eq!(next_json(&mut lena).await["type"], "hello");
        let mut wall = open(addr, &format!("/w/{token}/live"), &nobody, &origin).await.expect("wall socket");
        assert_eq!(next_json(&mut wall).await["type"], "hello");

        // A guest's socket saying "showing" is not heard; the wall's is.
        let showing = |id: &str| tungstenite::Message::Text(json!({ "type": "showing", "photo": id }).to_string().into());
        let mut max = open(addr, &format!("/g/{}/live?since={head}", p.event), &p.max, &origin).await.expect("guest socket");
        assert_eq!(next_json(&mut max).await["type"], "hello");
        futures::SinkExt::send(&mut max, showing(&first)).await.expect("send");
        futures::SinkExt::send(&mut wall, showing(&first)).await.expect("send");
        let m = next_json(&mut lena).await;
        assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("photo.on_wall"), Some(first.as_str())));

        // Shown again, by the socket or by a polling wall: nothing new. Another photo: told.
        futures::SinkExt::send(&mut wall, showing(&first)).await.expect("send");
        let post = |photo: String| {
            let nobody = &nobody;
            let token = &token;
            async move {
                nobody.request(
                    Request::post(format!("/w/{token}/showing"))
                        .header(header::HOST, "localhost")
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(Body::from(format!("photo={photo}")))
                        .expect("request"),
                ).await
            }
        };
        assert_eq!(post(first.clone()).await.status, StatusCode::NO_CONTENT);
        assert_eq!(post(second.clone()).await.status, StatusCode::NO_CONTENT);
        let m = next_json(&mut lena).await;
        assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("photo.on_wall"), Some(second.as_str())));
        let (_, msgs) = poll_all(&p.lena, &format!("/g/{}", p.event), head).await;
        assert_eq!(kinds(&msgs), ["photo.on_wall", "photo.on_wall"], "once per photo");
        // Only its own guest hears it.
        let (_, msgs) = poll_all(&p.max, &format!("/g/{}", p.event), head).await;
        assert!(!kinds(&msgs).contains(&"photo.on_wall".to_owned()), "{msgs:?}");

        // My photos says so after a reload too.
        let page = p.lena.get(&format!("/g/{}", p.event)).await;
        assert_eq!(page.body.matches("data-on-wall-badge").count(), 2, "{}", page.body);

        // Bad input: a clear 400 or 404; a photo of another event is not noted.
        let r = nobody.request(
            Request::post(format!("/w/{token}/showing"))
                .header(header::HOST, "localhost")
                .body(Body::from("nothing=here"))
                .expect("request"),
        ).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(post("not-an-id".into()).await.status, StatusCode::NOT_FOUND);
                let stranger = {
            let o = party(&app, json!({})).await;
            upload(&app, &o, &o.lena, 9).await
        };
        assert_eq!(post(stranger).await.status, StatusCode::NO_CONTENT);
        let (_, msgs) = poll_all(&p.lena, &format!("/g/{}", p.event), head).await;
        assert_eq!(msgs.len(), 2, "nothing about another event's photo: {msgs:?}");
        let revoked = nobody.request(
            Request::post("/w/AAAAAAAAAAAAAAAAAAAAAAAAAA/showing")
                .header(header::HOST, "localhost")
                .body(Body::from(format!("photo={first}")))
                .expect("request"),
        ).await;
        assert_eq!(revoked.status, StatusCode::NOT_FOUND);
        let _ = wall.close(None).await;
    }
);

/// A viewer's subscription as the socket would drive it, with `n` messages in its path.
async fn next_within(sub: &mut live::Subscription) -> Next {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("an answer within 5 s")
}

db_test!(
    async fn a_slow_viewer_is_dropped_while_the_others_keep_their_pace(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let photo = upload(&app, &p, &p.lena, 7).await;
        let services = &app.state.services;
        let event: domain::EventId = p.event.parse().expect("id");
        let viewer = live::Viewer { tenant: p.tenant, event, audience: live::Audience::Member };
        let mut slow = services.live.subscribe(viewer, None).await.expect("slow");
        let mut quick = services.live.subscribe(viewer, None).await.expect("quick");
        let ctx = services.member_ctx(p.tenant, domain::UserId::new(), domain::Role::Owner);
        // Reactions by the owner, toggled many times: more messages than a queue holds.
        let n = service::live::QUEUE + 20;
        let mut seen = 0;
        for _ in 0..n {
            let ev = service::events::get_event(services, &ctx, event).await.expect("event");
            service::reactions::toggle(services, &ctx, &ev, photo.parse().expect("id"), "heart").await.expect("toggle");
            // The quick one reads as they come.
            loop {
                match next_within(&mut quick).await {
                    Next::Message(t) if t.contains("photo.reactions") => { seen += 1; break; }
                    Next::Message(_) => {}
                    other => panic!("the quick viewer was cut off: {other:?}"),
                }
            }
        }
        assert_eq!(seen, n);
        // The slow one had not read: it is told to go (and will resume).
        let mut got = 0;
        let end = loop {
            match next_within(&mut slow).await {
                Next::Message(_) => got += 1,
                other => break other,
            }
        };
        assert_eq!(end, Next::Close(4008, "too slow"), "after {got} messages");
        assert!(services.live.metrics().drops.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    }
);

db_test!(
    async fn a_socket_that_reads_nothing_is_dropped_while_the_others_keep_their_pace(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let photo: domain::PhotoId = upload(&app, &p, &p.lena, 9).await.parse().expect("id");
        let addr = serve_small_send_buffers(&app).await;
        let origin = format!("http://{addr}");
        let path = format!("/app/events/{}/live", p.event);
        let mut quick = open(addr, &path, &p.host, &origin).await.expect("quick");
        assert_eq!(next_json(&mut quick).await["type"], "hello");
        let mut slow = open_unread(addr, &path, &p.host, &origin).await;
        let services = &app.state.services;
        let ctx = services.member_ctx(p.tenant, domain::UserId::new(), domain::Role::Owner);
        let event: domain::EventId = p.event.parse().expect("id");
        let drops = || services.live.metrics().drops.load(std::sync::atomic::Ordering::Relaxed);
        let before = drops();
        let (mut toggled, mut last) = (0, 0);
        // Reactions until the server gives up on the socket that reads nothing (the kernel's
        // buffers, then the connection's own queue, fill first); the quick one reads each.
        while drops() == before || toggled < 5 {
            assert!(toggled < 3_000, "a socket that reads nothing is never dropped");
            let ev = service::events::get_event(services, &ctx, event).await.expect("event");
            service::reactions::toggle(services, &ctx, &ev, photo, "heart").await.expect("toggle");
            toggled += 1;
            let v = loop {
                let v = next_json(&mut quick).await;
                if v["type"] == "photo.reactions" {
                    break v;
                }
            };
            let seq = v["seq"].as_i64().expect("seq");
            assert!(seq > last, "in order: {seq} after {last}");
            last = seq;
        }
        assert_eq!(drops(), before + 1, "only the one that reads nothing");
        // The dropped one gets what was already on its way, in order without a gap, then
        // the connection ends (its page resumes from the last it has).
        let (mut got, mut prev) = (0, None::<i64>);
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), slow.next())
                .await
                .expect("the dropped socket ends");
            match msg {
                Some(Ok(tungstenite::Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).expect("JSON");
                    if let Some(seq) = v["seq"].as_i64() {
                        if let Some(p) = prev {
                            assert_eq!(seq, p + 1, "no gap in what it was sent");
                        }
                        prev = Some(seq);
                        got += 1;
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        assert!(got > 0 && got < toggled, "sent {got} of {toggled} before it was dropped");
    }
);

db_test!(
    async fn an_instance_that_dies_before_it_rings_loses_nothing(tdb) {
        // Two instances on one database, no Redis: the second one commits and never rings
        // the first (as if it died right after its commit); the first one's relay delivers.
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({"moderation": "approve"})).await;
        let photo = upload(&app, &p, &p.lena, 8).await;
        let event: domain::EventId = p.event.parse().expect("id");
        let viewer = live::Viewer { tenant: p.tenant, event, audience: live::Audience::Guest(guest_of(&app, &p, "Max").await) };
        let mut max = app.state.services.live.subscribe(viewer, None).await.expect("subscribe");
        let other: Services = Services::clone(&app.state.services).with_secret(service::secrets::SecretKey::random());
        let ctx = other.member_ctx(p.tenant, owner_of(&p).await, domain::Role::Owner);
        let started = std::time::Instant::now();
        service::moderation::moderate(&other, &ctx, event, &[photo.parse().expect("id")], domain::ModerationAction::Approve)
            .await
            .expect("approve on the other instance");
        match next_within(&mut max).await {
            Next::Message(t) => assert!(t.contains("photo.published") && t.contains(&photo), "{t}"),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(3), "within the relay's second: {:?}", started.elapsed());
    }
);

async fn owner_of(p: &Party<'_>) -> domain::UserId {
    let v = p.host.get("/api/v1/me").await.json();
    v["user"]["id"]
        .as_str()
        .expect("user id")
        .parse()
        .expect("a user id")
}

async fn guest_of(app: &TestApp, p: &Party<'_>, name: &str) -> domain::GuestId {
    let _ = app;
    let v = p
        .host
        .get(&format!("/api/v1/events/{}/guests", p.event))
        .await
        .json();
    v["guests"]
        .as_array()
        .expect("guests")
        .iter()
        .find(|g| g["name"] == name)
        .expect("guest")["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("guest id")
}

db_test!(
    async fn redis_carries_a_commit_to_another_instance_at_once(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let p = party(&app, json!({"moderation": "approve"})).await;
        let photo = upload(&app, &p, &p.lena, 9).await;
        let event: domain::EventId = p.event.parse().expect("id");
        let viewer = live::Viewer { tenant: p.tenant, event, audience: live::Audience::Member };
        // This instance's relay reads only every 30 s here: a quick delivery is Redis's.
        app.state.services.live.set_relay_every(Duration::from_secs(30));
        let mut host = app.state.services.live.subscribe(viewer, None).await.expect("subscribe");
        // The bus's subscription is made as the first viewer arrives: give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Another instance: same database and Redis (same key prefix), its own hub.
        let other: Services = Services::clone(&app.state.services).with_secret(app.state.services.secret.clone());
        let ctx = other.member_ctx(p.tenant, owner_of(&p).await, domain::Role::Owner);
        service::moderation::moderate(&other, &ctx, event, &[photo.parse().expect("id")], domain::ModerationAction::Approve)
            .await
            .expect("approve");
        let started = std::time::Instant::now();
        loop {
            match next_within(&mut host).await {
                Next::Message(t) if t.contains("photo.published") => break,
                Next::Message(_) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
);

db_test!(
    async fn the_walls_api_makes_changes_blanks_and_refuses_others(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let base = format!("/api/v1/events/{}/walls", p.event);
        let r = p.host.json("POST", &base, Some(json!({ "name": "Stage", "hold_seconds": 0, "layout": "mosaic" }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let wall = r.json();
        assert_eq!((wall["name"].as_str(), wall["layout"].as_str(), wall["hold_seconds"].as_u64()), (Some("Stage"), Some("mosaic"), Some(0)));
        let url = wall["url"].as_str().expect("url").to_owned();
        let id = wall["id"].as_str().expect("id").to_owned();
        let path = url.split_once("/w/").map(|(_, t)| format!("/w/{t}")).expect("a wall link");
        let nobody = app.browser("203.0.113.24");
        assert_eq!(nobody.get(&path).await.status, StatusCode::OK);

        // Bad fields: 422 with a sentence per field; unknown fields and bad JSON: 400.
        let r = p.host.json("POST", &base, Some(json!({ "name": "", "slide_seconds": 1, "layout": "grid" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("single"), "{}", r.body);
        let r = p.host.json("POST", &base, Some(json!({ "name": "", "slide_seconds": 1 }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Give the wall a name.") && r.body.contains("between 3 and 120"), "{}", r.body);
        let r = p.host.json("POST", &base, Some(json!({ "colour": "red" }))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

        // Change: what is left out stays.
        let r = p.host.json("PATCH", &format!("{base}/{id}"), Some(json!({ "slide_seconds": 12 }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        assert_eq!((v["name"].as_str(), v["slide_seconds"].as_u64(), v["layout"].as_str()), (Some("Stage"), Some(12), Some("mosaic")));

        // Blank all screens, and back.
        let r = p.host.json("POST", &format!("{base}/blank"), Some(json!({ "blank": true }))).await;
        assert_eq!((r.status, r.json()["blank"].as_bool()), (StatusCode::OK, Some(true)), "{}", r.body);
        assert_eq!(p.host.json("GET", &base, None).await.json()["blank"], json!(true));
        p.host.json("POST", &format!("{base}/blank"), Some(json!({ "blank": false }))).await;

        // A photo off the walls and back.
        let photo = upload(&app, &p, &p.lena, 10).await;
        let r = p.host.json("POST", &format!("/api/v1/events/{}/photos/{photo}/wall", p.event), Some(json!({ "on_wall": false }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(nobody.get(&format!("{path}/photos")).await.json()["photos"], json!([]));
        p.host.json("POST", &format!("/api/v1/events/{}/photos/{photo}/wall", p.event), Some(json!({ "on_wall": true }))).await;
        assert_eq!(nobody.get(&format!("{path}/photos")).await.json()["photos"][0]["id"], json!(photo));

        // A new link: the old one stops. Revoked: gone, and listed as revoked without a link.
        let r = p.host.json("POST", &format!("{base}/{id}/link"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_ne!(r.json()["url"].as_str(), Some(url.as_str()));
        assert_eq!(nobody.get(&path).await.status, StatusCode::NOT_FOUND);
        let r = p.host.json("DELETE", &format!("{base}/{id}"), None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let v = p.host.json("GET", &base, None).await.json();
        assert_eq!((v["walls"][0]["revoked"].as_bool(), v["walls"][0]["url"].is_null()), (Some(true), true), "{v}");

        // Nobody: 401; a guest: 401; another organization: 404; a plain member may blank but not make walls.
        assert_eq!(nobody.json("GET", &base, None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(p.lena.json("POST", &format!("{base}/blank"), Some(json!({ "blank": true }))).await.status, StatusCode::UNAUTHORIZED);
        let other = app.browser("203.0.113.25");
        other.register("Olga Other", "Other Org").await;
        assert_eq!(other.json("GET", &base, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.json("PATCH", &format!("{base}/{id}"), Some(json!({ "name": "Mine" }))).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.json("POST", &format!("/api/v1/events/{}/photos/{photo}/wall", p.event), Some(json!({ "on_wall": false }))).await.status, StatusCode::NOT_FOUND);
        let member = support::member_with_role(&app, p.tenant, domain::Role::Member).await;
        assert_eq!(member.json("POST", &base, Some(json!({ "name": "Mine" }))).await.status, StatusCode::FORBIDDEN);
        assert_eq!(member.json("POST", &format!("{base}/blank"), Some(json!({ "blank": true }))).await.status, StatusCode::OK);
        let v = member.json("GET", &base, None).await.json();
        assert!(v["walls"].as_array().expect("walls").iter().all(|w| w["url"].is_null()), "no links for a plain member: {v}");
    }
);

/// A socket that cannot be opened: the HTTP status it was refused with (and its message says
/// why, for a person).
async fn refused_with(addr: SocketAddr, path: &str, b: &Browser<'_>, origin: &str) -> u16 {
    match open(addr, path, b, origin).await {
        Err(tungstenite::Error::Http(r)) => {
            let body =
                String::from_utf8_lossy(r.body().as_deref().unwrap_or_default()).into_owned();
            assert!(body.contains("keeps updating"), "{body}");
            r.status().as_u16()
        }
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("opened"),
    }
}

/// Opens a socket, retrying for a moment while a closed one gives its place back.
async fn open_soon(addr: SocketAddr, path: &str, b: &Browser<'_>, origin: &str) -> Socket {
    for _ in 0..50 {
        if let Ok(s) = open(addr, path, b, origin).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no place came free for {path}");
}

db_test!(
    async fn sockets_are_limited_per_address_and_per_event(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, json!({})).await;
        let addr = serve(&app).await;
        let origin = format!("http://{addr}");
        let guest_path = format!("/g/{}/live", p.event);
        let member_path = format!("/app/events/{}/live", p.event);

        // Per address (every test socket comes from 127.0.0.1).
        app.state.services.live.set_limits(2, 100);
        let mut a = open(addr, &guest_path, &p.lena, &origin).await.expect("first");
        let _b = open(addr, &guest_path, &p.max, &origin).await.expect("second");
        assert_eq!(refused_with(addr, &member_path, &p.host, &origin).await, 429);
        let r = p.lena.get(&format!("/g/{}/feed?since=0", p.event)).await;
        assert_eq!(r.status, StatusCode::OK, "polling still answers: {}", r.body);
        // One closes: its place comes free.
        let _ = a.close(None).await;
        drop(a);
        let _c = open_soon(addr, &member_path, &p.host, &origin).await;

        // Per event.
        app.state.services.live.set_limits(100, 3);
        let _d = open(addr, &guest_path, &p.lena, &origin).await.expect("a third on the event");
        assert_eq!(refused_with(addr, &guest_path, &p.lena, &origin).await, 429);
    }
);
