//! A node of a two-node desk is killed with SIGKILL (a real
//! `lifeline-signaling` process) while it holds a pending request and a
//! running session. The expert asking, on the other node, is told the
//! request ended; the expert in the running session is told nothing (its
//! peers go on peer to peer); and the clients, reconnecting through the
//! other node, reclaim their IDs and can be asked again, while an answer
//! to the dead node's request is refused.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_lifeline-signaling");

/// A node in its own process, killed (not stopped) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary as node `name` of the desk `prefix`; returns once it
/// answers `/healthz`.
async fn node_process(
    dir: &std::path::Path,
    database_url: &str,
    prefix: &str,
) -> (Process, String) {
    let port = free_port();
    let file = dir.join("node.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndatabase_url = \"{database_url}\"\n\
             redis_url = \"{}\"\nnode_name = \"killed\"\nredis_key_prefix = \"{prefix}\"\n",
            redis::url()
        ),
    )
    .unwrap();
    let child = Command::new(BINARY)
        .arg("--config")
        .arg(&file)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let process = Process(child);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the node did not start");
        if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply).await;
            if reply.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (process, format!("ws://{addr}/ws"))
}

/// The next message, waiting up to `secs` seconds.
async fn recv_within(ws: &mut Socket, secs: u64) -> Value {
    use futures_util::StreamExt;
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) => {
                    return serde_json::from_str(&text).unwrap();
                }
                Some(Ok(_)) => continue,
                other => panic!("the connection ended: {other:?}"),
            }
        }
    })
    .await
    .expect("a message in time")
}

/// A client on `url` with a fresh ID: (socket, id, reclaim secret).
async fn client(url: &str) -> (Socket, String, String) {
    let mut ws = hello(url, "client").await;
    let issued = exchange(
        &mut ws,
        r#"{"type":"request_id","description":"help","computer":{"name":"pc","os":"x","user":"u"}}"#,
    )
    .await;
    assert_eq!(issued["type"], "id_issued", "{issued}");
    let id = issued["id"].as_str().unwrap().to_owned();
    let secret = issued["secret"].as_str().unwrap().to_owned();
    (ws, id, secret)
}

#[tokio::test]
async fn a_killed_node_ends_its_requests_and_its_clients_come_back_elsewhere() {
    let prefix = redis::fresh_desk();
    let survivor = TestServer::start_with(|c| c.cluster = Some(redis::node(&prefix, "b"))).await;
    survivor.add_expert("ann", "Ann").await;
    survivor.add_expert("bob", "Bob").await;
    let dir = tempfile::tempdir().unwrap();
    let (doomed, doomed_url) =
        node_process(dir.path(), &survivor.config.database_url, &prefix).await;

    // On the doomed node: a client being asked, and one in a session,
    // each with an expert on the surviving node.
    let (mut asked, asked_id, asked_secret) = client(&doomed_url).await;
    let (mut ann, _) = signed_in_expert(&survivor.url, "ann").await;
    let pending = request(&mut ann, &mut asked, &asked_id, r#"["view"]"#).await;
    let (mut helped, helped_id, _) = client(&doomed_url).await;
    let (mut bob, _) = signed_in_expert(&survivor.url, "bob").await;
    accepted_session(&mut bob, &mut helped, &helped_id).await;

    drop(doomed);

    // The reclaim works at once, before the dead node's heartbeat lapses.
    let mut back = hello(&survivor.url, "client").await;
    let reclaimed = exchange(
        &mut back,
        &format!(r#"{{"type":"reclaim","id":"{asked_id}","secret":"{asked_secret}"}}"#),
    )
    .await;
    assert_eq!(reclaimed["type"], "id_reclaimed", "{reclaimed}");
    assert_eq!(reclaimed["id"], asked_id.as_str());
    let wrong = exchange(
        &mut hello(&survivor.url, "client").await,
        &format!(r#"{{"type":"reclaim","id":"{helped_id}","secret":"{asked_secret}"}}"#),
    )
    .await;
    assert_eq!(wrong["code"], "reclaim_failed", "{wrong}");

    // Within the heartbeat's timeout the asking expert is told.
    let ended = recv_within(&mut ann, 10).await;
    assert_eq!(ended["type"], "request_cancelled", "{ended}");
    assert_eq!(ended["session"], pending.as_str());
    // The running session's expert was told nothing: its ping's pong is
    // the next message it gets.
    let next = exchange(&mut bob, r#"{"type":"ping"}"#).await;
    assert_eq!(next["type"], "pong", "{next}");

    // The client's answer to the request its dead node held is refused
    // with a message the app shows, and nothing else happens.
    let stale = exchange(
        &mut back,
        &format!(r#"{{"type":"accept","session":"{pending}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(stale["code"], "no_such_session", "{stale}");

    // The reclaimed ID is asked for again, through its new home.
    let session = request(&mut ann, &mut back, &asked_id, r#"["view"]"#).await;
    send(
        &mut back,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(recv(&mut back).await["type"], "session_started");
    assert_eq!(recv(&mut ann).await["type"], "session_started");
    drop(asked);
}
