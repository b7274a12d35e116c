//! `momentique mail`: checking the mail settings from the command line.

use clap::Subcommand;

use crate::config::Config;
use crate::serve::StartError;

#[derive(Debug, Subcommand)]
pub enum MailAction {
    /// Send one test message now, directly (not through the job queue), with the configured
    /// MOMENTIQUE_SMTP_URL and MOMENTIQUE_MAIL_FROM; without an SMTP URL it lands in
    /// MOMENTIQUE_MAIL_OUTBOX_DIR. Exits non-zero, saying why, when the server refuses it.
    Test {
        /// The address to send the test message to.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
}

pub async fn run(config: Config, action: MailAction) -> Result<(), StartError> {
    let MailAction::Test { to } = action;
    let mailer = config.mailer().map_err(|e| StartError::Config(e.0))?;
    let via = mailer.describe();
    let message = mail::templates::test_message(&mail::Branding::default(), &via);
    mailer
        .send(&mail::OutgoingEmail::new(&to, None, message))
        .await
        .map_err(|e| {
            let kind = match e {
                mail::SendError::Transient(_) => "temporary failure",
                mail::SendError::Permanent(_) => "refused",
            };
            StartError::Other(anyhow::anyhow!(
                "the test message was not sent via {via} ({kind}): {e}"
            ))
        })?;
    #[expect(clippy::print_stdout, reason = "this command's output is its result")]
    {
        println!("sent a test message via {via}");
    }
    Ok(())
}
