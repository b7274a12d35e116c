//! Job counters and timings for `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RunLabels {
    pub kind: String,
    /// `done`, `retry`, `dead`, `released`.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabels {
    pub kind: String,
}

/// Job metrics. Cheap to clone (shared counters).
#[derive(Debug, Clone)]
pub struct JobMetrics {
    pub(crate) runs: Family<RunLabels, Counter>,
    pub(crate) duration: Family<KindLabels, Histogram>,
}

impl Default for JobMetrics {
    fn default() -> Self {
        Self {
            runs: Family::default(),
            duration: Family::new_with_constructor(|| {
                Histogram::new([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
            }),
        }
    }
}

impl JobMetrics {
    /// Adds these metrics to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "momentique_job_runs",
            "Job runs by kind and outcome",
            self.runs.clone(),
        );
        registry.register(
            "momentique_job_duration_seconds",
            "How long job runs took",
            self.duration.clone(),
        );
    }

    /// Runs of `kind` that ended with `outcome` so far (tests and `bench`).
    pub fn runs(&self, kind: &str, outcome: &'static str) -> u64 {
        self.runs
            .get_or_create(&RunLabels {
                kind: kind.to_owned(),
                outcome,
            })
            .get()
    }
}
