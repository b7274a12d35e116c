//! Operator commands: `check-config` and `jobs`.

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
