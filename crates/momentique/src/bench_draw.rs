//! `momentique bench draw`: the lucky draw's cost at scale and a statistical check of its
//! fairness. Times the canonical list and hash, the picks and the verification of a draw over
//! 100,000 entries with mixed weights (target: 50 ms in all), then runs chi-square tests over
//! 1,000,000 simulated picks (uniform and weighted) and prints the statistic, the degrees of
//! freedom and the p-value (the chi-square distribution computed here, via the regularized
//! incomplete gamma function).

use std::fmt::Write as _;
use std::time::Instant;

use domain::draw::verify::{State, verify};
use domain::draw::{
    DrawExport, EXPORT_FORMAT, Entry, Outcome, PickRecord, Pool, Stream, TierSpec, canonical_order,
    commitment, draw_key, entry_list_hash, hex, next_pick, sha256,
};

#[derive(Debug, clap::Args)]
pub struct DrawArgs {
    /// Entries in the timed draw.
    #[arg(long, default_value_t = 100_000)]
    entries: u32,
    /// Simulated picks in each chi-square test.
    #[arg(long, default_value_t = 1_000_000)]
    samples: u32,
}

/// Why the bench could not finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchDrawError {
    #[error("--entries must be at least 10 and --samples at least 1,000")]
    TooSmall,
    #[error("the draw failed: {0}")]
    Draw(#[from] domain::draw::DrawError),
    #[error("the draw does not verify: {0}")]
    Verify(String),
    #[error("the simulated pick {0} differs from Pool::pick")]
    Mismatch(u32),
}

/// splitmix64: reproducible "mixed" weights and ids without a random-number crate.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub fn run(args: &DrawArgs) -> Result<(), BenchDrawError> {
    if args.entries < 10 || args.samples < 1_000 {
        return Err(BenchDrawError::TooSmall);
    }
    let mut out = String::new();
    timed_draw(args.entries, &mut out)?;
    let _ = writeln!(out);
    let uniform: Vec<Entry> = (0..100)
        .map(|i| Entry {
            id: format!("u{i:03}"),
            weight: 1,
        })
        .collect();
    chi_square(
        "uniform: 100 entries of weight 1",
        &uniform,
        args.samples,
        &mut out,
    )?;
    let weighted: Vec<Entry> = (1..=10)
        .map(|w| Entry {
            id: format!("w{w:02}"),
            weight: w,
        })
        .collect();
    chi_square(
        "weighted: 10 entries of weights 1 to 10",
        &weighted,
        args.samples,
        &mut out,
    )?;
    #[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
    {
        print!("{out}");
    }
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// A whole draw over `n` entries (weights 1 to 10, as a per-photo rule with a cap of 10 gives),
/// 10 winners in three tiers, then its verification.
fn timed_draw(n: u32, out: &mut String) -> Result<(), BenchDrawError> {
    let mut state = 42u64;
    let shuffled: Vec<Entry> = (0..n)
        .map(|_| {
            let r = splitmix(&mut state);
            Entry {
                id: format!("{r:016x}"),
                weight: 1 + (r % 10) as u32,
            }
        })
        .collect();
    // Sorting a list in no particular order (closing sorts once, before it stores the list).
    let t = Instant::now();
    let entries = canonical_order(&shuffled)?;
    let t_sort = ms(t);
    let tiers = vec![
        TierSpec {
            position: 1,
            name: "First".into(),
            winners: 1,
        },
        TierSpec {
            position: 2,
            name: "Second".into(),
            winners: 3,
        },
        TierSpec {
            position: 3,
            name: "Third".into(),
            winners: 6,
        },
    ];
    let seed = sha256(b"bench draw seed");

    // From here on the path a draw takes: the store hands the locked list back by entry id
    // (canonical order), every pick and the verifier check and hash it again.
    let t = Instant::now();
    let hash = entry_list_hash(&entries)?;
    let t_list = ms(t);
    let canonical = entries;

    let t = Instant::now();
    let key = draw_key(&seed, &hash, "bench phrase");
    let mut pool = Pool::new(&canonical)?;
    let mut picks: Vec<PickRecord> = Vec::new();
    while let Some((tier, round)) = next_pick(&tiers, &picks) {
        let winner = pool.pick(&key, tier, round)?;
        picks.push(PickRecord {
            tier,
            round,
            entry: winner.id,
            outcome: Outcome::Present,
        });
    }
    let t_draw = ms(t);

    let export = DrawExport {
        format: EXPORT_FORMAT.into(),
        draw: "bench".into(),
        name: "Bench draw".into(),
        event: "Bench".into(),
        rules: "Mixed weights.".into(),
        closed_at: "2026-01-01T00:00:00Z".into(),
        entries: canonical,
        entry_list_hash: hex(&hash),
        commitment: hex(&commitment(&seed)),
        phrase: Some("bench phrase".into()),
        seed: Some(hex(&seed)),
        tiers,
        picks,
    };
    let t = Instant::now();
    let report = verify(&export);
    let t_verify = ms(t);
    if report.state != State::Ok {
        return Err(BenchDrawError::Verify(report.summary));
    }
    let total_weight: u64 = export.entries.iter().map(|e| u64::from(e.weight)).sum();
    let total = t_list + t_draw + t_verify;
    let _ = writeln!(
        out,
        "draw over {n} entries ({total_weight} tickets, weights 1-10), {} winners:",
        export.picks.len()
    );
    let _ = writeln!(
        out,
        "  (sorting them from no particular order, once at close: {t_sort:.2} ms)"
    );
    let _ = writeln!(out, "  check + hash the list  {t_list:8.2} ms");
    let _ = writeln!(
        out,
        "  draw {} winners       {t_draw:8.2} ms",
        export.picks.len()
    );
    let _ = writeln!(out, "  verify                 {t_verify:8.2} ms");
    let _ = writeln!(
        out,
        "  total                  {total:8.2} ms (target 50 ms: {})",
        if total <= 50.0 { "met" } else { "MISSED" }
    );
    let _ = writeln!(out, "  verdict: {}", report.summary);
    Ok(())
}

/// `samples` first picks from the full pool, one per round (each its own stream), counted per
/// entry and compared with the weights by a chi-square test. The walk over the cumulative
/// weights (binary search) is the one `Pool::pick` does on a full pool; the first 10,000 are
/// checked against `Pool::pick` itself.
fn chi_square(
    label: &str,
    entries: &[Entry],
    samples: u32,
    out: &mut String,
) -> Result<(), BenchDrawError> {
    let entries = canonical_order(entries)?;
    let key = draw_key(
        &sha256(b"bench chi-square seed"),
        &entry_list_hash(&entries)?,
        label,
    );
    let mut cumulative = Vec::with_capacity(entries.len());
    let mut sum = 0u64;
    for e in &entries {
        sum += u64::from(e.weight);
        cumulative.push(sum);
    }
    let total = sum;
    let mut counts = vec![0u64; entries.len()];
    let t = Instant::now();
    for round in 1..=samples {
        let target = Stream::new(&key, 1, round).below(total);
        // The first entry whose running sum exceeds the target.
        let i = cumulative.partition_point(|&c| c <= target);
        counts[i] += 1;
        if round <= 10_000 {
            let mut pool = Pool::new(&entries)?;
            if pool.pick(&key, 1, round)?.id != entries[i].id {
                return Err(BenchDrawError::Mismatch(round));
            }
        }
    }
    let elapsed = ms(t);
    let n = f64::from(samples);
    let stat: f64 = entries
        .iter()
        .zip(&counts)
        .map(|(e, &o)| {
            let expected = n * f64::from(e.weight) / total as f64;
            let d = o as f64 - expected;
            d * d / expected
        })
        .sum();
    let df = (entries.len() - 1) as f64;
    let p = chi_square_sf(stat, df);
    let _ = writeln!(out, "chi-square, {label}, {samples} picks:");
    let _ = writeln!(
        out,
        "  statistic {stat:.2}, degrees of freedom {df}, p-value {p:.4} ({})",
        if p > 0.001 {
            "consistent with the weights"
        } else {
            "SUSPICIOUS: p below 0.001"
        }
    );
    let (lo, hi) = counts
        .iter()
        .zip(&entries)
        .map(|(&c, e)| c as f64 / (n * f64::from(e.weight) / total as f64))
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let _ = writeln!(
        out,
        "  observed/expected per entry from {lo:.4} to {hi:.4}; {elapsed:.0} ms"
    );
    Ok(())
}

/// P(X > x) for X chi-square with `df` degrees of freedom: Q(df/2, x/2).
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(df / 2.0, x / 2.0)
}

/// ln Γ(z) for z > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13).
fn ln_gamma(z: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if z < 0.5 {
        // Reflection: Γ(z)Γ(1−z) = π / sin(πz).
        return (std::f64::consts::PI / (std::f64::consts::PI * z).sin()).ln() - ln_gamma(1.0 - z);
    }
    let z = z - 1.0;
    let mut a = C[0];
    let t = z + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (z + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + a.ln()
}

/// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): a series for
/// x < a + 1, a continued fraction (modified Lentz) above.
fn gamma_q(a: f64, x: f64) -> f64 {
    let ln_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..1_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        1.0 - sum * ln_prefix.exp()
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        ln_prefix.exp() * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chi_square_tail_matches_known_values() {
        // Exact values: for even df, Q = e^(-x/2) Σ_{i<df/2} (x/2)^i / i!; for df = 1,
        // erfc(√(x/2)).
        for (x, df, p) in [
            (3.841_458_820_694_124, 1.0, 0.05),
            (0.5, 1.0, 0.479_500_122_186_953_5),
            (2.0, 2.0, (-1.0f64).exp()),
            (10.0, 10.0, 0.440_493_285_065_212_4),
            (150.0, 100.0, 0.000_903_932_042_354_009_2),
            (80.0, 100.0, 0.929_664_933_340_605_2),
        ] {
            let got = chi_square_sf(x, df);
            assert!(
                (got - p).abs() < 1e-6 * p.max(1e-3),
                "x {x} df {df}: {got} vs {p}"
            );
        }
    }
}
