//! `momentique draw verify FILE`: checks a draw's published record (the JSON its public page
//! serves at `/d/{org}/{draw}/export.json`) and prints every check in words and the winners.
//! Needs no configuration, database or network: anyone can run it on a downloaded record.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use domain::draw::DrawExport;
use domain::draw::verify::{Report, State, verify};

#[derive(Debug, Subcommand)]
pub enum DrawAction {
    /// Check a draw's published record (JSON): the entry list and its hash, the seed against
    /// its commitment, the order of the picks and every winner. Exit code 0: it checks out;
    /// 1: a check failed; 2: the file cannot be read as a draw record; 3: the seed is not
    /// revealed yet (the winners cannot be checked).
    Verify {
        /// The record (a file, or `-` for standard input).
        file: PathBuf,
        /// Print the report as JSON instead of words.
        #[arg(long)]
        json: bool,
    },
}

/// Exit code: the record checks out.
const EXIT_OK: u8 = 0;
/// Exit code: at least one check failed.
const EXIT_FAILED: u8 = 1;
/// Exit code: the input is not a readable draw record.
const EXIT_UNREADABLE: u8 = 2;
/// Exit code: nothing failed, but the seed is not revealed yet.
const EXIT_PENDING: u8 = 3;

pub fn run(action: DrawAction) -> ExitCode {
    match action {
        DrawAction::Verify { file, json } => verify_file(&file, json),
    }
}

fn verify_file(file: &std::path::Path, json: bool) -> ExitCode {
    let shown = if file.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        file.display().to_string()
    };
    let export = match read(file) {
        Ok(bytes) => match serde_json::from_slice::<DrawExport>(&bytes) {
            Ok(export) => export,
            Err(e) => return unreadable(&format!("{shown} is not a draw record: {e}")),
        },
        Err(e) => return unreadable(&format!("cannot read {shown}: {e}")),
    };
    let report = verify(&export);
    let text = if json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => s + "\n",
            Err(e) => return unreadable(&format!("cannot write the report: {e}")),
        }
    } else {
        words(&export, &report)
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not worth a panic; the exit code still tells the verdict.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    ExitCode::from(match report.state {
        State::Ok => EXIT_OK,
        State::Failed => EXIT_FAILED,
        State::Pending => EXIT_PENDING,
    })
}

fn read(file: &std::path::Path) -> std::io::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(file)
    }
}

fn unreadable(msg: &str) -> ExitCode {
    #[expect(
        clippy::print_stderr,
        reason = "the one line a person reads when the record is unreadable"
    )]
    {
        eprintln!("momentique: {msg}");
    }
    ExitCode::from(EXIT_UNREADABLE)
}

/// The report in words: the draw, every check, the winners and the verdict.
fn words(export: &DrawExport, report: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Draw {:?} of {:?} (draw {}), entries closed {}",
        export.name, export.event, export.draw, export.closed_at
    );
    let _ = writeln!(s, "Rules: {}", export.rules);
    let _ = writeln!(s);
    for check in &report.checks {
        let mark = match check.ok {
            Some(true) => "ok",
            Some(false) => "FAILED",
            None => "pending",
        };
        let _ = writeln!(s, "  {mark:<8} {}: {}", check.name, check.text);
    }
    if !report.picks.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "Picks, in the order drawn:");
        for (pick, check) in export.picks.iter().zip(&report.picks) {
            let tier = export
                .tiers
                .iter()
                .find(|t| t.position == pick.tier)
                .map(|t| format!("{:?}", t.name))
                .unwrap_or_else(|| "(no such tier)".to_owned());
            let outcome = match pick.outcome {
                domain::draw::Outcome::Drawn => "drawn",
                domain::draw::Outcome::Present => "present",
                domain::draw::Outcome::NotPresent => "not present, redrawn",
            };
            let verdict = match (check.ok, &check.expected) {
                (Some(true), _) => "correct".to_owned(),
                (Some(false), Some(expected)) => format!("WRONG, the algorithm gives {expected}"),
                (Some(false), None) => "WRONG".to_owned(),
                (None, _) => "not checkable until the seed is revealed".to_owned(),
            };
            let _ = writeln!(
                s,
                "  tier {} {tier}, round {}: {} ({outcome}): {verdict}",
                pick.tier, pick.round, pick.entry
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "{}", report.summary);
    s
}
