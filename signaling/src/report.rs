//! `GET /api/sessions`: the Session Usage Report as JSON or CSV, for a date
//! range. Dates are UTC calendar days (`2026-11-01`); `to` is inclusive.

use std::fmt::Write;

use crate::records::SessionRecord;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Parses `YYYY-MM-DD` into the Unix milliseconds of that day's start. The
/// year is four digits (0001 to 9999), so the result and a day or a month
/// more stay far inside `i64` (a 13-digit year overflowed it).
pub fn parse_day(text: &str) -> Option<i64> {
    fn digits(part: &str, len: std::ops::RangeInclusive<usize>) -> Option<&str> {
        (len.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())).then_some(part)
    }
    let mut parts = text.splitn(3, '-');
    let year: i64 = digits(parts.next()?, 4..=4)?.parse().ok()?;
    let month: u32 = digits(parts.next()?, 1..=2)?.parse().ok()?;
    let day: u32 = digits(parts.next()?, 1..=2)?.parse().ok()?;
    if year == 0 {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY_MS)
}

/// Formats Unix milliseconds as `2026-11-22T15:04:05Z`.
pub fn format_time(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The report as CSV (RFC 4180), times in UTC.
pub fn to_csv(rows: &[SessionRecord]) -> String {
    let mut out = String::from(
        "session_id,client_id,requested_at,answered_at,started_at,ended_at,outcome,end_reason,\
         expert,description,computer_name,computer_os,computer_user,scopes_requested,\
         scopes_granted,notes,expert_path,client_path,client_screen,recordings,reason,scopes_withdrawn\r\n",
    );
    let time = |ms: Option<i64>| ms.map(format_time).unwrap_or_default();
    for r in rows {
        let fields = [
            r.session_id.clone(),
            r.client_id.clone(),
            format_time(r.requested_at_ms),
            time(r.answered_at_ms),
            time(r.started_at_ms),
            time(r.ended_at_ms),
            r.outcome.clone().unwrap_or_default(),
            r.end_reason.clone().unwrap_or_default(),
            r.expert.clone(),
            r.description.clone(),
            r.computer_name.clone(),
            r.computer_os.clone(),
            r.computer_user.clone(),
            r.scopes_requested.clone(),
            r.scopes_granted.clone().unwrap_or_default(),
            r.notes.clone(),
            r.expert_path.clone().unwrap_or_default(),
            r.client_path.clone().unwrap_or_default(),
            r.client_screen.clone().unwrap_or_default(),
            r.recordings.clone().unwrap_or_default(),
            r.reason.clone().unwrap_or_default(),
            r.scopes_withdrawn.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let _ = write!(out, "{}\r\n", line.join(","));
    }
    out
}

/// Quotes a field when needed. A leading `=`, `+`, `-` or `@` is prefixed
/// with `'` so a spreadsheet does not run a client's description as a
/// formula.
pub(crate) fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(parse_day("9999-12-31"), Some(253_402_214_400_000));
        assert_eq!(
            format_time(1_795_305_600_000 + 3_723_000),
            "2026-11-22T01:02:03Z"
        );
        assert_eq!(
            format_time(parse_day("2024-02-29").unwrap()),
            "2024-02-29T00:00:00Z"
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "yesterday",
            "2026-1",
            "",
            "9999999999999-01-01",
            "10000-01-01",
            "0000-01-01",
            "+2026-01-01",
            "2026-+1-01",
            "2026-01-001",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
