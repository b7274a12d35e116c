//! Operator commands: `check-config`, `jobs`, `users` and `orgs`.

use std::process::ExitCode;

use clap::Subcommand;
use domain::JobId;
use store::{JobQueue, JobState};

use crate::config::Config;
use crate::serve::{StartError, open_services};

/// `momentique check-config`: the effective configuration, secrets hidden.
pub fn check_config(config: &Config) -> ExitCode {
    #[expect(
        clippy::print_stdout,
        reason = "this command's output is the configuration"
    )]
    {
        println!("# Effective configuration (defaults < --config file < MOMENTIQUE_* variables)");
        print!("{}", config.to_redacted_toml());
    }
    ExitCode::SUCCESS
}

#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Count the jobs in each state.
    Stats,
    /// List jobs that failed for good, with their last error.
    Dead {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Give a dead job a fresh set of attempts.
    Retry { id: String },
}

pub async fn jobs(config: Config, action: JobsAction) -> Result<(), StartError> {
    let services = open_services(&config).await?;
    let db = &services.db;
    let mut out = String::new();
    match action {
        JobsAction::Stats => {
            let s = db.queue_stats(domain::time::now()).await?;
            out = format!(
                "queued  {}\n  ready {}\nrunning {}\ndone    {}\ndead    {}\n",
                s.queued, s.ready, s.running, s.done, s.dead
            );
        }
        JobsAction::Dead { limit } => {
            let dead = db.list_jobs(JobState::Dead, limit).await?;
            if dead.is_empty() {
                out.push_str("no dead jobs\n");
            }
            for j in dead {
                out.push_str(&format!(
                    "{}  {}  attempts {}/{}  {}\n",
                    j.id,
                    j.kind,
                    j.attempts,
                    j.max_attempts,
                    j.last_error.unwrap_or_default()
                ));
            }
        }
        JobsAction::Retry { id } => {
            let id: JobId = id
                .parse()
                .map_err(|_| StartError::Config(format!("{id:?} is not a job id")))?;
            if db.retry_dead_job(id, domain::time::now()).await? {
                out = format!("job {id} queued again\n");
            } else {
                return Err(StartError::Other(anyhow::anyhow!(
                    "no dead job with id {id}"
                )));
            }
        }
    }
    #[expect(clippy::print_stdout, reason = "operator command output")]
    {
        print!("{out}");
    }
    db.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Turn off someone's two-factor sign-in when they lost their phone and their recovery
    /// codes and no admin of their organization can reset it. Ends their sessions.
    ResetTwoFactor {
        /// The person's email address.
        #[arg(long)]
        email: String,
    },
}

pub async fn users(config: Config, action: UsersAction) -> Result<(), StartError> {
    let services = open_services(&config).await?;
    let out = match action {
        UsersAction::ResetTwoFactor { email } => {
            let email = domain::Email::parse(&email)
                .map_err(|e| StartError::Config(format!("{email:?}: {e}")))?;
            let found = service::two_factor::operator_reset(&services, &email)
                .await
                .map_err(|e| StartError::Other(anyhow::anyhow!("{e}")))?;
            if !found {
                return Err(StartError::Other(anyhow::anyhow!(
                    "no account with the address {email}"
                )));
            }
            format!("two-factor sign-in is off for {email}; their sessions are ended\n")
        }
    };
    #[expect(clippy::print_stdout, reason = "operator command output")]
    {
        print!("{out}");
    }
    services.db.close().await;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum OrgsAction {
    /// Put an organization on a plan (a [plans.NAME] table of the --config file, or
    /// `unlimited`; `default` for the configured default). Prints its usage after.
    Plan {
        /// The organization's id (shown on its Team page URL and in `orgs usage`).
        #[arg(long)]
        org: String,
        #[arg(long)]
        plan: String,
    },
    /// An organization's usage against its plan's limits.
    Usage {
        #[arg(long)]
        org: String,
    },
}

pub async fn orgs(config: Config, action: OrgsAction) -> Result<(), StartError> {
    let services = open_services(&config).await?;
    let parse = |org: &str| -> Result<domain::TenantId, StartError> {
        org.parse()
            .map_err(|_| StartError::Config(format!("{org:?} is not an organization id")))
    };
    let tenant = match &action {
        OrgsAction::Plan { org, plan } => {
            let tenant = parse(org)?;
            let chosen = (plan != "default").then_some(plan.as_str());
            if let Some(p) = chosen
                && !services.plans.knows(p)
            {
                return Err(StartError::Config(format!(
                    "no plan {p:?}: use \"unlimited\", \"default\" or a [plans.NAME] table of the --config file"
                )));
            }
            if !service::usage::set_plan(&services, tenant, chosen).await? {
                return Err(StartError::Other(anyhow::anyhow!(
                    "no organization with the id {org}"
                )));
            }
            tenant
        }
        OrgsAction::Usage { org } => parse(org)?,
    };
    let report = service::usage::report_for_operator(&services, tenant).await?;
    let mut out = format!("plan {}\n", report.plan);
    for l in &report.lines {
        let limit = l
            .limit
            .map_or_else(|| "no limit".to_owned(), |n| n.to_string());
        let pct = l.percent.map(|p| format!(" ({p} %)")).unwrap_or_default();
        out.push_str(&format!(
            "{:<8} {} of {limit}{pct}\n",
            l.resource.as_str(),
            l.used
        ));
    }
    #[expect(clippy::print_stdout, reason = "operator command output")]
    {
        print!("{out}");
    }
    services.db.close().await;
    Ok(())
}
