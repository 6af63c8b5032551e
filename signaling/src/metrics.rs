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

    /// The text `/metrics` serves: the plain metrics, then the two
    /// counters with labels.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, kind, help, value) in self.plain() {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP lifeline_rate_limited_total Attempts refused by rate limits or back-off.\n# TYPE lifeline_rate_limited_total counter"
        );
        let _ = writeln!(
            out,
            "lifeline_rate_limited_total{{kind=\"login\"}} {}",
            count(&self.rate_limited_logins)
        );
        let _ = writeln!(
            out,
            "lifeline_rate_limited_total{{kind=\"connect\"}} {}",
            count(&self.rate_limited_connects)
        );
        let _ = writeln!(
            out,
            "# HELP lifeline_request_outcomes_total How connect requests ended up.\n# TYPE lifeline_request_outcomes_total counter"
        );
        for (outcome, value) in OUTCOMES.iter().zip(&self.outcomes) {
            let _ = writeln!(
                out,
                "lifeline_request_outcomes_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                count(value)
            );
        }
        out
    }

    /// The metrics without labels, in the order `/metrics` lists them, as
    /// (name, type, help, value).
    fn plain(&self) -> [(&'static str, &'static str, &'static str, String); 9] {
        [
            (
                "lifeline_connections_open",
                "gauge",
                "Open WebSocket connections.",
                level(&self.connections_open),
            ),
            (
                "lifeline_connections_total",
                "counter",
                "WebSocket connections accepted.",
                count(&self.connections_total),
            ),
            (
                "lifeline_records_lost_total",
                "counter",
                "Session record events refused because the database fell behind.",
                count(&self.records_lost),
            ),
            (
                "lifeline_connections_refused_total",
                "counter",
                "Connections refused by the per-IP cap.",
                count(&self.connections_refused),
            ),
            (
                "lifeline_connections_refused_global_total",
                "counter",
                "Connections closed at accept by the cap on all connections.",
                count(&self.connections_refused_global),
            ),
            (
                "lifeline_header_timeouts_total",
                "counter",
                "HTTP connections closed for sending their headers too slowly.",
                count(&self.header_timeouts),
            ),
            (
                "lifeline_pairings_active",
                "gauge",
                "Requests waiting for consent plus running sessions.",
                level(&self.pairings_active),
            ),
            (
                "lifeline_requests_total",
                "counter",
                "Connect requests that reached a client.",
                count(&self.requests_total),
            ),
            (
                "lifeline_signals_relayed_total",
                "counter",
                "SDP and ICE messages relayed.",
                count(&self.signals_relayed),
            ),
        ]
    }
}

/// A counter's value, as text.
fn count(counter: &AtomicU64) -> String {
    counter.load(Ordering::Relaxed).to_string()
}

/// A gauge's value, as text.
fn level(gauge: &AtomicI64) -> String {
    gauge.load(Ordering::Relaxed).to_string()
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
