//! `momentique draw verify FILE` as a person runs it: the binary, in an empty folder, with no
//! configuration; its words, its JSON and its exit codes (0 ok, 1 failed, 2 unreadable,
//! 3 pending).

mod draw_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn momentique(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_momentique"));
    cmd.current_dir(dir).env_clear();
    for keep in ["PATH", "HOME", "TMPDIR"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("MOMENTIQUE_LOG", "warn");
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `draw verify` on `record` written to a file, with `extra` arguments.
fn verify_file(dir: &Path, record: &serde_json::Value, extra: &[&str]) -> Output {
    let file = dir.join("record.json");
    std::fs::write(&file, serde_json::to_vec_pretty(record).expect("json")).expect("write");
    momentique(dir)
        .args(["draw", "verify"])
        .arg(&file)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run momentique")
}

#[track_caller]
fn assert_no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "no panic: {stderr}"
    );
}

#[test]
fn every_vector_checks_out_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, record) in draw_support::records() {
        let out = verify_file(dir.path(), &record, &[]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}:\n{stdout}{}",
            text(&out.stderr)
        );
        for check in [
            "format",
            "entries",
            "entry_list_hash",
            "commitment",
            "tiers",
            "pick_order",
            "winners",
            "no_repeat_winner",
        ] {
            assert!(
                stdout.contains(&format!("  ok       {check}: ")),
                "{name}: {check} is ok:\n{stdout}"
            );
        }
        // Every winner is listed with its verdict.
        for pick in record["picks"].as_array().expect("picks") {
            let entry = pick["entry"].as_str().expect("entry");
            assert!(
                stdout.contains(&format!(": {entry} (")) && stdout.contains("correct"),
                "{name}: {entry} listed:\n{stdout}"
            );
        }
        assert!(
            stdout.contains("nobody could have chosen them."),
            "{name}:\n{stdout}"
        );
    }
}

#[test]
fn a_tampered_record_fails_and_names_the_pick() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, record) = draw_support::records()
        .into_iter()
        .find(|(name, _)| name == "many-tiers")
        .expect("the many-tiers vector");
    let mut tampered = record.clone();
    let was = tampered["picks"][2]["entry"]
        .as_str()
        .expect("entry")
        .to_owned();
    tampered["picks"][2]["entry"] = record["picks"][0]["entry"].clone();
    let out = verify_file(dir.path(), &tampered, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("  FAILED   winners: "), "{stdout}");
    assert!(stdout.contains("  FAILED   no_repeat_winner: "), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "the first: pick 3 (tier {} round {}) should be entry {was}",
            record["picks"][2]["tier"], record["picks"][2]["round"]
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("WRONG, the algorithm gives {was}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("This record does not check out"),
        "{stdout}"
    );
    assert_no_panic(&out);

    // Every kind of tampering: the exit code follows the verdict of the library's verify (the
    // browser test compares the JavaScript with the same verdicts).
    for (name, record) in draw_support::records() {
        for (kind, tampered) in draw_support::tampered(&record) {
            let export: domain::draw::DrawExport =
                serde_json::from_value(tampered.clone()).expect("a parseable record");
            let expected = match domain::draw::verify::verify(&export).state {
                domain::draw::verify::State::Ok => 0,
                domain::draw::verify::State::Failed => 1,
                domain::draw::verify::State::Pending => 3,
            };
            let out = verify_file(dir.path(), &tampered, &[]);
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{name} / {kind}:\n{}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
            assert_no_panic(&out);
        }
    }
    // The kinds that must fail whatever the vector.
    for (name, record) in draw_support::records() {
        for (kind, tampered) in draw_support::tampered(&record) {
            if matches!(
                kind,
                "weight_changed"
                    | "entry_added"
                    | "hash_changed"
                    | "seed_changed"
                    | "seed_upper_case"
                    | "commitment_changed"
                    | "winner_changed"
                    | "format_changed"
                    | "entries_reordered"
                    | "entry_duplicated"
                    | "picks_swapped"
                    | "winner_repeated"
            ) {
                let export: domain::draw::DrawExport =
                    serde_json::from_value(tampered).expect("a parseable record");
                assert_eq!(
                    domain::draw::verify::verify(&export).state,
                    domain::draw::verify::State::Failed,
                    "{name} / {kind}"
                );
            }
        }
    }
}

#[test]
fn json_report_and_standard_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, mut record) = draw_support::records().remove(2);
    record["seed"] = serde_json::Value::Null;
    let mut child = momentique(dir.path())
        .args(["draw", "verify", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&serde_json::to_vec(&record).expect("json"))
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3), "pending: {}", text(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(report["state"], "pending");
    let checks = report["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 8);
    let winners = checks
        .iter()
        .find(|c| c["name"] == "winners")
        .expect("a winners check");
    assert_eq!(winners["ok"], serde_json::Value::Null);
    assert!(
        winners["text"]
            .as_str()
            .expect("text")
            .contains("once the seed is revealed")
    );
    assert_eq!(
        report["picks"].as_array().expect("picks").len(),
        record["picks"].as_array().expect("picks").len()
    );
}

#[test]
fn unreadable_input_is_exit_code_2_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    for (content, says) in [
        ("{ not json", "is not a draw record"),
        ("[1, 2, 3]", "is not a draw record"),
        ("{\"format\": \"momentique-draw-v1\"}", "missing field"),
        ("", "is not a draw record"),
    ] {
        std::fs::write(&bad, content).expect("write");
        let out = momentique(dir.path())
            .args(["draw", "verify"])
            .arg(&bad)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{content:?}: {stderr}");
        assert!(stderr.starts_with("momentique: "), "{stderr}");
        assert!(stderr.contains(says), "{content:?}: {stderr}");
        assert!(out.stdout.is_empty(), "nothing on stdout");
        assert_no_panic(&out);
    }
    let out = momentique(dir.path())
        .args(["draw", "verify", "no-such-file.json"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read no-such-file.json"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_explains_the_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = momentique(dir.path()).arg("--help").output().expect("run");
    assert!(text(&out.stdout).contains("draw"), "{}", text(&out.stdout));
    let out = momentique(dir.path())
        .args(["draw", "verify", "--help"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let help = text(&out.stdout);
    for says in [
        "--json",
        "standard input",
        "1: a check failed",
        "3: the seed",
    ] {
        assert!(
            help.contains(says),
            "draw verify --help mentions {says:?}:\n{help}"
        );
    }
}
