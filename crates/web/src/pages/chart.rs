//! The uploads-over-time chart on the event dashboard: an SVG drawn on the server (no script,
//! readable by screen readers through its label and the table beside it).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

/// Hours with their upload counts, filled in from the first to the last hour with uploads (at
/// most `max_bars`; longer spans are grouped into buckets of several hours).
pub fn hourly_series(hours: &[(String, i64)], max_bars: usize) -> Vec<(DateTime<Utc>, i64)> {
    let parsed: Vec<(DateTime<Utc>, i64)> = hours
        .iter()
        .filter_map(|(h, n)| {
            NaiveDateTime::parse_from_str(&format!("{h}:00"), "%Y-%m-%dT%H:%M")
                .ok()
                .map(|t| (t.and_utc(), *n))
        })
        .collect();
    let (Some(&(first, _)), Some(&(last, _))) = (parsed.first(), parsed.last()) else {
        return Vec::new();
    };
    let span = usize::try_from((last - first).num_hours()).unwrap_or(0) + 1;
    let per_bar = span.div_ceil(max_bars.max(1)).max(1);
    let bars = span.div_ceil(per_bar);
    let mut out: Vec<(DateTime<Utc>, i64)> = (0..bars)
        .map(|i| (first + Duration::hours((i * per_bar) as i64), 0))
        .collect();
    for (t, n) in parsed {
        let i = usize::try_from((t - first).num_hours()).unwrap_or(0) / per_bar;
        if let Some(slot) = out.get_mut(i) {
            slot.1 += n;
        }
    }
    out
}

/// The SVG for `series` (start of each bucket, count), labelled with `label`.
pub fn uploads_svg(series: &[(DateTime<Utc>, i64)], label: &str) -> String {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const BASE: f64 = 130.0;
    let max = series.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    // At least twelve slots wide, so one busy hour is a bar, not a wall.
    let slot = W / series.len().max(12) as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut body = String::new();
    for (i, (t, n)) in series.iter().enumerate() {
        let h = (*n as f64 / max) * (BASE - 10.0);
        let x = i as f64 * slot + (slot - bar) / 2.0;
        body.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"><title>{} UTC: {n}</title></rect>",
            BASE - h,
            crate::i18n::Catalog::current().date("weekday_time", t),
        ));
    }
    // Labels under the first, middle and last bars.
    let mut labels = String::new();
    let picks = [0, series.len() / 2, series.len().saturating_sub(1)];
    let mut last_pick = usize::MAX;
    for (k, &i) in picks.iter().enumerate() {
        if i == last_pick || i >= series.len() {
            continue;
        }
        last_pick = i;
        let x = i as f64 * slot + slot / 2.0;
        let anchor = match k {
            0 => "start",
            1 => "middle",
            _ => "end",
        };
        let x = match k {
            0 => (x - slot / 2.0).max(0.0),
            2 if series.len() >= 12 => (x + slot / 2.0).min(W),
            _ => x,
        };
        let anchor = if k == 2 && series.len() < 12 {
            "middle"
        } else {
            anchor
        };
        labels.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"156\" text-anchor=\"{anchor}\">{}</text>",
            crate::i18n::Catalog::current().date("weekday_time", &series[i].0)
        ));
    }
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">\
         <line x1=\"0\" y1=\"{BASE}\" x2=\"{W}\" y2=\"{BASE}\"/>{body}{labels}</svg>",
        label
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    )
}

/// `12.3 MB`, for storage figures.
pub fn human_bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut v = n;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{} {}", n as i64, UNITS[0])
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_filled_and_long_spans_grouped() {
        let hours = vec![
            ("2026-06-20T14".to_owned(), 3),
            ("2026-06-20T17".to_owned(), 5),
        ];
        let s = hourly_series(&hours, 48);
        assert_eq!(s.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [3, 0, 0, 5]);
        let grouped = hourly_series(&hours, 2);
        assert_eq!(grouped.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [3, 5]);
        assert!(hourly_series(&[], 48).is_empty());
    }

    #[test]
    fn the_svg_has_one_bar_per_bucket_and_a_label() {
        let hours = vec![
            ("2026-06-20T14".to_owned(), 3),
            ("2026-06-20T15".to_owned(), 6),
        ];
        let svg = uploads_svg(&hourly_series(&hours, 48), "Uploads per hour");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("aria-label=\"Uploads per hour\""));
        assert!(
            svg.contains("height=\"120.0\""),
            "the tallest bar is full height"
        );
        assert!(svg.contains("Sat 14:00 UTC: 3"));
    }

    #[test]
    fn bytes_read_like_a_person_writes_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(2_500_000), "2.5 MB");
        assert_eq!(human_bytes(48_000_000_000), "48 GB");
    }
}
