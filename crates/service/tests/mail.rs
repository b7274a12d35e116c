//! The `mail.send` job on both backends: queued in a transaction, sent by a worker through the
//! real SMTP server of scripts/test; with the server unreachable, retried, not lost.

use std::time::Duration;

use jobs::{JobMetrics, Worker, WorkerConfig};
use mail::{Branding, MailConfig, Mailer, templates};
use media::BlobStore;
use service::Services;
use store::{Db, DbOptions, JobQueue, JobState, Scope};
use test_support::{TestDatabase, db_test};
use tokio::sync::watch;

async fn services(tdb: &TestDatabase, smtp_url: &str) -> (Services, tempfile::TempDir) {
    let db = Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("open the test database");
    let media = tempfile::tempdir().expect("media dir");
    let blobs = BlobStore::local(media.path()).expect("media store");
    let mailer = Mailer::new(&MailConfig {
        smtp_url: Some(smtp_url.to_owned()),
        from: "Lumen Weddings <hello@lumen.example>".into(),
        outbox_dir: media.path().join("outbox"),
    })
    .expect("the mailer");
    (Services::new(db, blobs, None).with_mailer(mailer), media)
}

fn worker_config(base_backoff: Duration) -> WorkerConfig {
    WorkerConfig {
        name: "mail-test".into(),
        concurrency: 1,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        base_backoff,
        max_backoff: base_backoff,
        shutdown_grace: Duration::from_secs(5),
    }
}

/// Queues one invitation to `to` and commits.
async fn queue_invitation(s: &Services, to: &str) -> mail::Rendered {
    let rendered = templates::invitation(
        &Branding {
            org_name: "Lumen Weddings".into(),
            ..Branding::default()
        },
        "Ada",
        "member",
        "https://photos.example.com/invitations/abc",
        domain::time::now() + chrono::Duration::days(7),
    );
    let mut tx = s.db.begin(Scope::System).await.expect("begin");
    service::mail::queue(&mut tx, None, to, Some("Grace"), rendered.clone())
        .await
        .expect("queue the email");
    tx.commit().await.expect("commit");
    rendered
}

/// Polls the queue until `done` says so (the worker runs meanwhile), at most 30 s.
async fn until(s: &Services, what: &str, done: impl Fn(&[store::JobSummary]) -> bool) {
    let wait = async {
        loop {
            let mut all = Vec::new();
            for state in JobState::ALL {
                all.extend(s.db.list_jobs(state, 100).await.expect("list jobs"));
            }
            if done(&all) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting until {what}"));
}

db_test!(
    async fn a_queued_email_is_sent_by_the_worker_through_smtp(tdb) {
        let (url, maildir) = test_support::smtp();
        let (s, _media) = services(&tdb, &url).await;
        let to = format!("grace-{}@example.org", uuid::Uuid::new_v4().simple());
        let rendered = queue_invitation(&s, &to).await;

        let worker = Worker::new(s.db.clone(), service::registry(&s), worker_config(Duration::ZERO), JobMetrics::default());
        let (stop_tx, stop) = watch::channel(false);
        let handle = tokio::spawn(worker.run(stop));
        until(&s, "the queue is empty", |jobs| {
            jobs.iter().all(|j| j.state == "done") && !jobs.is_empty()
        })
        .await;
        stop_tx.send(true).unwrap();
        handle.await.unwrap();

        let got = test_support::wait_for_mail(&maildir, &to, Duration::from_secs(20)).await;
        assert_eq!(got.to, vec![to.clone()]);
        assert_eq!(got.subject, rendered.subject);
        assert!(got.raw.contains("From: \"Lumen Weddings\" <hello@lumen.example>"), "{}", got.raw);
        assert_eq!(got.text.replace("\r\n", "\n").trim(), rendered.text.trim());
        assert_eq!(got.html.replace("\r\n", "\n").trim(), rendered.html.trim());
        assert_eq!(test_support::links_in(&got.text), vec!["https://photos.example.com/invitations/abc"]);
    }
);

db_test!(
    async fn with_the_smtp_server_unreachable_the_email_is_retried_not_lost(tdb) {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (s, _media) = services(&tdb, &format!("smtp://127.0.0.1:{port}")).await;
        queue_invitation(&s, "grace@example.org").await;

        // A long backoff: after the first failure the job waits, queued, for its next try.
        let worker = Worker::new(s.db.clone(), service::registry(&s), worker_config(Duration::from_secs(3600)), JobMetrics::default());
        let (stop_tx, stop) = watch::channel(false);
        let handle = tokio::spawn(worker.run(stop));
        until(&s, "the first attempt failed", |jobs| jobs.iter().any(|j| j.attempts == 1 && j.state == "queued")).await;
        stop_tx.send(true).unwrap();
        handle.await.unwrap();

        let queued = s.db.list_jobs(JobState::Queued, 10).await.unwrap();
        assert_eq!(queued.len(), 1, "the email is still queued");
        let job = &queued[0];
        assert_eq!((job.kind.as_str(), job.attempts, job.max_attempts), ("mail.send", 1, 8));
        let err = job.last_error.as_deref().expect("the failure is recorded");
        assert!(err.contains("SMTP"), "{err}");
        assert!(!err.contains("grace@"), "no address in the error: {err}");
        assert!(job.run_at > domain::time::now() + chrono::Duration::minutes(30), "it waits for the backoff");
        assert_eq!(s.db.list_jobs(JobState::Dead, 10).await.unwrap().len(), 0);
    }
);
