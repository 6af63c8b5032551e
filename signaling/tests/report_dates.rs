//! Report dates out of range are a 400 with a `{code, message}` body, not
//! an arithmetic overflow (which panicked the handler in debug builds).

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn far_future_and_malformed_dates_are_bad_requests() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    let (_ws, token) = signed_in_expert(&server.url, "boss").await;
    for query in [
        "from=9999999999999-01-01",
        "to=9999999999999-01-01",
        "from=2026-01-01&to=99999-12-31",
        "from=-9223372036854775808-01-01",
        "from=+2026-01-01",
    ] {
        for path in ["/api/sessions", "/api/audit"] {
            let (status, body) = server.get(&format!("{path}?{query}"), Some(&token)).await;
            assert_eq!(status, 400, "{path}?{query}: {body}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap(),
                json!({
                    "code": "bad_date",
                    "message": "dates are YYYY-MM-DD, with a year from 0001 to 9999"
                })
            );
        }
    }
    let (status, body) = server
        .get("/api/sessions?from=0001-01-01&to=9999-12-31", Some(&token))
        .await;
    assert_eq!((status, body.as_str()), (200, "[]"));
}
