//! The reports' filter bar: dates, person and text from the query string,
//! checked, with the same defaults for the page and its export.

use maud::{Markup, html};
use serde::Deserialize;

use crate::report::{format_time, parse_day};
use crate::report_pages::Filter;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// The longest text filter.
const MAX_TEXT: usize = 100;

/// The query string as sent; every field optional text.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub from: Option<String>,
    pub to: Option<String>,
    pub who: Option<String>,
    pub q: Option<String>,
    pub after: Option<String>,
}

/// The filter the params describe, or what is wrong with them.
pub fn filter(params: &Params, now_ms: i64) -> Result<Filter, String> {
    let day = |text: &Option<String>, name: &str| -> Result<Option<i64>, String> {
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => parse_day(text)
                .map(Some)
                .ok_or_else(|| format!("{name} must be a date like 2026-11-30")),
        }
    };
    let to_ms = day(&params.to, "To")?.map_or(now_ms + 1, |start| start + DAY_MS);
    let from_ms = day(&params.from, "From")?.unwrap_or(to_ms - 30 * DAY_MS);
    if from_ms >= to_ms {
        return Err("From must come before To".into());
    }
    let clean = |text: &Option<String>, name: &str, max: usize| -> Result<Option<String>, String> {
        let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if text.chars().any(char::is_control) {
            return Err(format!("{name} may not hold control characters"));
        }
        if text.chars().count() > max {
            return Err(format!("{name} is too long (at most {max} characters)"));
        }
        Ok(Some(text.to_owned()))
    };
    Ok(Filter {
        from_ms,
        to_ms,
        who: clean(&params.who, "Person", 64)?,
        text: clean(&params.q, "Search", MAX_TEXT)?,
    })
}

/// The filter as a query string (without the page cursor), for the export
/// link and the next page.
pub fn query_string(filter: &Filter) -> String {
    let mut pairs = vec![
        ("from", format_time(filter.from_ms)[..10].to_owned()),
        ("to", format_time(filter.to_ms - 1)[..10].to_owned()),
    ];
    if let Some(who) = &filter.who {
        pairs.push(("who", who.clone()));
    }
    if let Some(text) = &filter.text {
        pairs.push(("q", text.clone()));
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The filter bar. `people` lists who may be chosen (empty: no choice,
/// an expert sees only their own).
pub fn bar(action: &str, filter: &Filter, people_label: &str, people: &[String]) -> Markup {
    html! {
        form.filters #filters method="get" action=(action) {
            label { "From" input #from type="date" name="from" value=(format_time(filter.from_ms)[..10]); }
            label { "To" input #to type="date" name="to" value=(format_time(filter.to_ms - 1)[..10]); }
            @if !people.is_empty() {
                label { (people_label)
                    select #who name="who" {
                        option value="" { "Everyone" }
                        @for person in people {
                            option value=(person) selected[filter.who.as_deref() == Some(person.as_str())] { (person) }
                        }
                    }
                }
            }
            label { "Search" input #q type="search" name="q" maxlength=(MAX_TEXT) value=(filter.text.as_deref().unwrap_or_default()); }
            button #apply type="submit" { "Show" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_become_a_filter_or_a_clear_error() {
        let now = parse_day("2026-12-05").unwrap() + 1000;
        let f = filter(&Params::default(), now).unwrap();
        assert_eq!(f.to_ms, now + 1);
        assert_eq!(f.to_ms - f.from_ms, 30 * DAY_MS);
        let p = Params {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            q: Some(" Printer ".into()),
            ..Params::default()
        };
        let f = filter(&p, now).unwrap();
        assert_eq!(f.text.as_deref(), Some("Printer"));
        assert_eq!(query_string(&f), "from=2026-11-01&to=2026-11-30&q=Printer");
        let bad = |p: Params| filter(&p, now).unwrap_err();
        assert!(
            bad(Params {
                from: Some("yesterday".into()),
                ..Params::default()
            })
            .contains("From")
        );
        assert!(
            bad(Params {
                q: Some("a\u{7}b".into()),
                ..Params::default()
            })
            .contains("control")
        );
        assert!(
            bad(Params {
                q: Some("x".repeat(101)),
                ..Params::default()
            })
            .contains("too long")
        );
        assert!(
            bad(Params {
                from: Some("2026-12-01".into()),
                to: Some("2026-11-01".into()),
                ..Params::default()
            })
            .contains("before")
        );
        assert_eq!(encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");
    }
}
