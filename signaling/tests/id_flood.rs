//! `request_id` floods cannot stall the desk: each address gets a number
//! of IDs per minute and then `rate_limited` (another address is not
//! affected), and the table of IDs has a cap with a clear error.

mod common;

use common::*;

const REQUEST: &str = r#"{"type":"request_id"}"#;

#[tokio::test]
async fn id_requests_are_rate_limited_per_address() {
    let server = TestServer::start_with(|c| c.limits.id_requests_per_minute = 5).await;
    let mut flooder = hello_from(&server.url, [127, 0, 4, 1], "client").await;
    for _ in 0..5 {
        assert_eq!(exchange(&mut flooder, REQUEST).await["type"], "id_issued");
    }
    let limited = exchange(&mut flooder, REQUEST).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
    assert!(limited["retry_after_secs"].as_u64().unwrap() >= 1);

    let mut neighbour = hello_from(&server.url, [127, 0, 4, 2], "client").await;
    assert_eq!(exchange(&mut neighbour, REQUEST).await["type"], "id_issued");
}

#[tokio::test]
async fn a_full_table_says_so() {
    let server = TestServer::start_with(|c| c.limits.max_ids = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(client_with_id(&server.url).await);
    }
    let mut late = hello(&server.url, "client").await;
    let refused = exchange(&mut late, REQUEST).await;
    assert_eq!(refused["code"], "unavailable", "{refused}");
    assert_eq!(
        refused["message"],
        "the desk holds too many client IDs; try again later"
    );
}

#[tokio::test]
async fn overlong_computer_details_are_refused() {
    let server = TestServer::start().await;
    let mut client = hello(&server.url, "client").await;
    let name = "x".repeat(60_000);
    let refused = exchange(
        &mut client,
        &format!(r#"{{"type":"request_id","computer":{{"name":"{name}","os":"","user":""}}}}"#),
    )
    .await;
    assert_eq!(refused["code"], "malformed_message", "{refused}");
    assert_eq!(
        refused["message"],
        "the computer's name is over 128 characters"
    );
    assert_eq!(exchange(&mut client, REQUEST).await["type"], "id_issued");
}
