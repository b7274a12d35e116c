//! `momentique`: the event-photo platform in one binary.
//!
//! With no subcommand it serves (HTTP and background jobs in one process, SQLite and local
//! files by default). See `momentique --help`.

mod admin;
mod bench;
mod bench_draw;
mod bench_http;
mod bench_live;
mod bench_quality;
mod bench_uploads;
mod config;
mod draw_verify;
mod logging;
mod mail_cmd;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Optional allocators, for `bench uploads` to compare with the system's (README, "Capacity").
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Momentique: every guest's photos of an event, in one shared gallery.
#[derive(Debug, Parser)]
#[command(name = "momentique", version, about, long_about = None)]
struct Cli {
    /// A TOML configuration file. Environment variables (MOMENTIQUE_*) override it.
    #[arg(long, global = true, value_name = "FILE", env = "MOMENTIQUE_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app (the default): HTTP, plus background jobs unless --no-worker.
    Serve {
        /// Do not run background jobs in this process (run `momentique worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run background jobs only (no HTTP).
    Worker,
    /// Apply database migrations, then exit (serve also does this at start).
    Migrate,
    /// Print the effective configuration, with passwords hidden, then exit.
    CheckConfig,
    /// Inspect and repair the background-job queue.
    Jobs {
        #[command(subcommand)]
        action: admin::JobsAction,
    },
    /// Accounts: `users reset-two-factor --email ADDRESS` for someone locked out of
    /// two-factor sign-in for good.
    Users {
        #[command(subcommand)]
        action: admin::UsersAction,
    },
    /// Organizations: `orgs plan --org ID --plan NAME` and `orgs usage --org ID` (plans and
    /// their limits are [plans.NAME] tables of the --config file).
    Orgs {
        #[command(subcommand)]
        action: admin::OrgsAction,
    },
    /// Email: send a test message to check the SMTP settings (`mail test --to ADDRESS`).
    Mail {
        #[command(subcommand)]
        action: mail_cmd::MailAction,
    },
    /// Lucky draws: check a draw's published record (`draw verify FILE`).
    Draw {
        #[command(subcommand)]
        action: draw_verify::DrawAction,
    },
    /// Measure things and print the figures.
    Bench {
        #[command(subcommand)]
        what: bench::BenchWhat,
    },
}

fn main() -> ExitCode {
    // Two arenas, not one per busy thread: a burst of 200 uploads peaks at about half the
    // memory, and what it freed can be handed back (README, "Capacity").
    #[cfg(not(any(feature = "mimalloc", feature = "jemalloc")))]
    media::memory::limit_arenas(2);
    let cli = Cli::parse();
    // Checking a record needs no configuration: anyone can run it on a downloaded file.
    if let Some(Command::Draw { action }) = cli.command {
        return draw_verify::run(action);
    }
    let config = match config::Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail_config(&e.to_string()),
    };
    if let Some(Command::CheckConfig) = cli.command {
        return admin::check_config(&config);
    }
    if let Some(Command::Bench { what }) = cli.command {
        return bench::run(what);
    }
    logging::init(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => serve::serve(config, true).await,
            Some(Command::Serve { no_worker }) => serve::serve(config, !no_worker).await,
            Some(Command::Worker) => serve::worker(config).await,
            Some(Command::Migrate) => serve::migrate_only(config).await,
            Some(Command::Jobs { action }) => admin::jobs(config, action).await,
            Some(Command::Mail { action }) => mail_cmd::run(config, action).await,
            Some(Command::Users { action }) => admin::users(config, action).await,
            Some(Command::Orgs { action }) => admin::orgs(config, action).await,
            Some(Command::CheckConfig | Command::Bench { .. } | Command::Draw { .. }) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(serve::StartError::Config(msg)) => fail_config(&msg),
        Err(serve::StartError::Other(e)) => {
            tracing::error!("{e:#}");
            #[expect(
                clippy::print_stderr,
                reason = "the one line a person reads when start-up fails"
            )]
            {
                eprintln!("momentique: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Bad configuration: one clear line and exit code 2.
fn fail_config(msg: &str) -> ExitCode {
    #[expect(
        clippy::print_stderr,
        reason = "the one line a person reads when the configuration is wrong"
    )]
    {
        eprintln!("momentique: configuration error: {msg}");
    }
    ExitCode::from(2)
}
