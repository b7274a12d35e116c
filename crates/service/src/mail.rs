//! Sending email from use cases: [`queue`] adds a `mail.send` job in the caller's transaction
//! (the email leaves if and only if the change that caused it commits), and
//! [`SendMailHandler`] hands it to the [`::mail::Mailer`] (SMTP or the outbox folder).
//!
//! A transient failure (server down, 4xx) is retried with the queue's backoff, up to
//! [`SendMail::MAX_ATTEMPTS`]; a permanent one (bad address, 5xx) buries the job at once.
//! A worker that dies between the server's "OK" and marking the job done sends it again: at
//! least once, never lost.

use async_trait::async_trait;
use domain::{JobId, TenantId};
use jobs::{Handler, Job, JobContext, JobError};
use serde::{Deserialize, Serialize};
use store::{StoreError, Tx};

/// The job: one rendered email to one person.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct SendMail {
    /// The organization the email is about, if any (shown to operators).
    pub tenant: Option<TenantId>,
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Set for a mail that must go once whatever queues it again (a retried notification
    /// job): mails with the same key are one mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub once: Option<String>,
}

impl Job for SendMail {
    const KIND: &'static str = "mail.send";
    const MAX_ATTEMPTS: i32 = 8;

    fn tenant(&self) -> Option<TenantId> {
        self.tenant
    }

    fn dedupe_key(&self) -> Option<String> {
        self.once.clone()
    }
}

/// Queues `message` for `to` inside `tx`: it is sent only if `tx` commits.
pub async fn queue(
    tx: &mut Tx,
    tenant: Option<TenantId>,
    to: &str,
    to_name: Option<&str>,
    message: ::mail::Rendered,
) -> Result<JobId, StoreError> {
    enqueue_mail(tx, tenant, None, to, to_name, message).await
}

/// Like [`queue`], but once for `key`: queueing the same key again (a notification job run
/// twice) adds nothing.
pub async fn queue_once(
    tx: &mut Tx,
    tenant: Option<TenantId>,
    key: String,
    to: &str,
    to_name: Option<&str>,
    message: ::mail::Rendered,
) -> Result<JobId, StoreError> {
    enqueue_mail(tx, tenant, Some(key), to, to_name, message).await
}

async fn enqueue_mail(
    tx: &mut Tx,
    tenant: Option<TenantId>,
    once: Option<String>,
    to: &str,
    to_name: Option<&str>,
    message: ::mail::Rendered,
) -> Result<JobId, StoreError> {
    jobs::enqueue(
        tx,
        &SendMail {
            tenant,
            to: to.to_owned(),
            to_name: to_name.map(str::to_owned),
            subject: message.subject,
            text: message.text,
            html: message.html,
            once,
        },
    )
    .await
}

/// Runs [`SendMail`] with the configured mailer.
#[derive(Debug, Clone)]
pub struct SendMailHandler {
    pub mailer: ::mail::Mailer,
}

#[async_trait]
impl Handler<SendMail> for SendMailHandler {
    async fn run(&self, job: SendMail, _ctx: &JobContext) -> Result<(), JobError> {
        let email = ::mail::OutgoingEmail {
            to: job.to,
            to_name: job.to_name,
            subject: job.subject,
            text: job.text,
            html: job.html,
        };
        self.mailer.send(&email).await.map_err(|e| match e {
            ::mail::SendError::Transient(why) => JobError::Retry(why),
            ::mail::SendError::Permanent(why) => JobError::Fatal(why),
        })
    }
}
