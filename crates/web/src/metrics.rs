//! Prometheus metrics: request counts and latency by route and status, job counters, and the
//! queue depth (read from the database at scrape time).

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    /// The route pattern (`/events/{id}`), never the raw path: bounded cardinality.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// Request metrics.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<HttpLabels, Counter>,
    latency: Family<HttpLabels, Histogram>,
}

impl HttpMetrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }
}

/// Every metric the process exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http: HttpMetrics,
    pub jobs: jobs::JobMetrics,
    queue: Family<StateLabels, Gauge>,
    live: Family<LiveLabels, Gauge>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LiveLabels {
    what: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http = HttpMetrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new([
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
            }),
        };
        registry.register(
            "momentique_http_requests",
            "HTTP requests by route and status",
            http.requests.clone(),
        );
        registry.register(
            "momentique_http_request_duration_seconds",
            "HTTP request latency by route and status",
            http.latency.clone(),
        );
        let jobs = jobs::JobMetrics::default();
        jobs.register(&mut registry);
        let queue = Family::<StateLabels, Gauge>::default();
        registry.register(
            "momentique_job_queue",
            "Jobs in the queue by state (ready = queued and due)",
            queue.clone(),
        );
        let live = Family::<LiveLabels, Gauge>::default();
        registry.register(
            "momentique_live",
            "The live layer in this process: open viewers by audience (members, guests, walls), \
             messages sent, viewers dropped for falling behind, resumes, and the lag from a \
             message's commit to its fan-out (lag_us_avg, lag_us_max), read at scrape time",
            live.clone(),
        );
        Self {
            registry,
            http,
            jobs,
            queue,
            live,
        }
    }

    /// Sets the live gauges from the hub's counters.
    pub fn set_live(&self, m: &service::live::LiveMetrics) {
        use std::sync::atomic::Ordering::Relaxed;
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let count = m.lag_count.load(Relaxed);
        let avg = m.lag_us_sum.load(Relaxed).checked_div(count).unwrap_or(0);
        for (what, n) in [
            ("members", m.members.load(Relaxed)),
            ("guests", m.guests.load(Relaxed)),
            ("walls", m.walls.load(Relaxed)),
            ("sent", as_i64(m.sent.load(Relaxed))),
            ("drops", as_i64(m.drops.load(Relaxed))),
            ("resumes", as_i64(m.resumes.load(Relaxed))),
            ("lag_us_avg", as_i64(avg)),
            ("lag_us_max", as_i64(m.lag_us_max.load(Relaxed))),
        ] {
            self.live.get_or_create(&LiveLabels { what }).set(n);
        }
    }

    /// Sets the queue gauges from a fresh count.
    pub fn set_queue(&self, stats: &service::records::QueueStats) {
        for (state, n) in [
            ("queued", stats.queued),
            ("ready", stats.ready),
            ("running", stats.running),
            ("done", stats.done),
            ("dead", stats.dead),
        ] {
            self.queue.get_or_create(&StateLabels { state }).set(n);
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
