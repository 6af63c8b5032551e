//! A connection must open with `hello` at the server's protocol version:
//! the right version is welcomed, a wrong one and anything before hello get
//! an error, and malformed frames get an error without closing the socket.

mod common;

use common::{connect, exchange, start};

#[tokio::test]
async fn hello_then_ping() {
    let mut ws = connect(&start().await).await;
    let reply = exchange(&mut ws, r#"{"type":"ping"}"#).await;
    assert_eq!(reply["code"], "hello_required");
    let reply = exchange(&mut ws, r#"{"type":"hello","version":99,"role":"client"}"#).await;
    assert_eq!(reply["code"], "unsupported_version");
    let reply = exchange(&mut ws, r#"{"type":"hello","version":1,"role":"client"}"#).await;
    assert_eq!(reply, serde_json::json!({"type":"welcome","version":1}));
    // The desk's policy follows the welcome.
    let policy = common::recv(&mut ws).await;
    assert_eq!(policy["type"], "policy", "{policy}");
    assert_eq!(policy["policy"]["consent_timeout_secs"], 300);
    let reply = exchange(&mut ws, "{not json").await;
    assert_eq!(reply["code"], "malformed_message");
    let reply = exchange(&mut ws, r#"{"type":"ping"}"#).await;
    assert_eq!(reply["type"], "pong");
}
