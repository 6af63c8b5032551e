//! Counters for `/metrics`, in Prometheus' text format. Plain atomics: the
//! server has a handful of numbers and no labels beyond fixed outcomes.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::records::Outcome;

#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_open: AtomicI64,
    pub connections_total: AtomicU64,
    /// Refused by the per-IP cap (at accept, or at the upgrade).
    pub connections_refused: AtomicU64,
    /// Closed at accept by the global cap.
    pub connections_refused_global: AtomicU64,
    /// HTTP connections closed because their request's headers were late.
    pub header_timeouts: AtomicU64,
    pub pairings_active: AtomicI64,
    pub requests_total: AtomicU64,
    pub signals_relayed: AtomicU64,
    pub rate_limited_logins: AtomicU64,
    pub rate_limited_connects: AtomicU64,
    /// Session record events refused because the database fell behind.
    pub records_lost: AtomicU64,
    outcomes: [AtomicU64; 5],
}

const OUTCOMES: [Outcome; 5] = [
    Outcome::Accepted,
    Outcome::Declined,
    Outcome::Timeout,
    Outcome::Cancelled,
    Outcome::Error,
];

impl Metrics {
    pub fn outcome(&self, outcome: Outcome) {
        let index = OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(4);
        self.outcomes[index].fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        let gauge = |a: &AtomicI64| a.load(Ordering::Relaxed).to_string();
        metric(
            "lifeline_connections_open",
            "gauge",
            "Open WebSocket connections.",
            gauge(&self.connections_open),
        );
        metric(
            "lifeline_connections_total",
            "counter",
            "WebSocket connections accepted.",
            get(&self.connections_total),
        );
        metric(
            "lifeline_records_lost_total",
            "counter",
            "Session record events refused because the database fell behind.",
            get(&self.records_lost),
        );
        metric(
            "lifeline_connections_refused_total",
            "counter",
            "Connections refused by the per-IP cap.",
            get(&self.connections_refused),
        );
        metric(
            "lifeline_connections_refused_global_total",
            "counter",
            "Connections closed at accept by the cap on all connections.",
            get(&self.connections_refused_global),
        );
        metric(
            "lifeline_header_timeouts_total",
            "counter",
            "HTTP connections closed for sending their headers too slowly.",
            get(&self.header_timeouts),
        );
        metric(
            "lifeline_pairings_active",
            "gauge",
            "Requests waiting for consent plus running sessions.",
            gauge(&self.pairings_active),
        );
        metric(
            "lifeline_requests_total",
            "counter",
            "Connect requests that reached a client.",
            get(&self.requests_total),
        );
        metric(
            "lifeline_signals_relayed_total",
            "counter",
            "SDP and ICE messages relayed.",
            get(&self.signals_relayed),
        );
        let _ = writeln!(
            out,
            "# HELP lifeline_rate_limited_total Attempts refused by rate limits or back-off.\n# TYPE lifeline_rate_limited_total counter"
        );
        let _ = writeln!(
            out,
            "lifeline_rate_limited_total{{kind=\"login\"}} {}",
            get(&self.rate_limited_logins)
        );
        let _ = writeln!(
            out,
            "lifeline_rate_limited_total{{kind=\"connect\"}} {}",
            get(&self.rate_limited_connects)
        );
        let _ = writeln!(
            out,
            "# HELP lifeline_request_outcomes_total How connect requests ended up.\n# TYPE lifeline_request_outcomes_total counter"
        );
        for (outcome, count) in OUTCOMES.iter().zip(&self.outcomes) {
            let _ = writeln!(
                out,
                "lifeline_request_outcomes_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                get(count)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts() {
        let metrics = Metrics::default();
        metrics.outcome(Outcome::Declined);
        metrics.outcome(Outcome::Declined);
        metrics.connections_open.fetch_add(3, Ordering::Relaxed);
        let text = metrics.render();
        assert!(text.contains("lifeline_request_outcomes_total{outcome=\"declined\"} 2\n"));
        assert!(text.contains("lifeline_connections_open 3\n"));
        assert!(text.contains("# TYPE lifeline_connections_open gauge\n"));
    }
}
