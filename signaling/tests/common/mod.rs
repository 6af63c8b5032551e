//! Shared by the integration tests: a real server on port 0 with its own
//! SQLite file, raw WebSocket peers that speak JSON to it, and a minimal
//! HTTP client for the report endpoints.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

pub mod cluster;
pub mod console;
pub mod database;
pub mod redis;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lifeline_signaling::Config;
use lifeline_signaling::accounts::{AccountRole, Accounts};
use lifeline_signaling::http::Server;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const PASSWORD: &str = "correct horse battery";

/// A running server. Dropping it stops the server; the database file lives
/// as long as `dir`.
pub struct TestServer {
    pub addr: SocketAddr,
    pub url: String,
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server with default settings and a fresh database.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server with a fresh database and settings changed by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            database_url: database::fresh_url(dir.path()).await,
            cluster: redis::enabled().then(|| redis::node(&redis::fresh_desk(), "test")),
            ..Config::default()
        };
        tweak(&mut config);
        let mut server = Self::start_config(config, None).await;
        server._dir = Some(dir);
        server
    }

    /// Starts on `addr` (or port 0) with exactly `config`.
    pub async fn start_config(config: Config, addr: Option<SocketAddr>) -> Self {
        let listener = tokio::net::TcpListener::bind(addr.unwrap_or(([127, 0, 0, 1], 0).into()))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::open(config.clone()).await.unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(listener, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            url: format!("ws://{addr}/ws"),
            config,
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        }
    }

    /// Stops the server and waits until it has let go of the database.
    /// Open WebSockets must be closed first, or it waits for them.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }

    /// Adds an expert straight into the server's database, as the
    /// `expert add` command does.
    pub async fn add_expert(&self, username: &str, display_name: &str) {
        let pool = lifeline_signaling::db::open(&self.config.database_url)
            .await
            .unwrap();
        Accounts::new(pool, Duration::from_secs(60))
            .add(username, display_name, PASSWORD)
            .await
            .unwrap();
    }

    /// An HTTP GET on this server: (status, body).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        http_get(self.addr, path, token).await
    }

    /// Adds an admin account, as `expert add --admin` does.
    pub async fn add_admin(&self, username: &str, display_name: &str) {
        let pool = lifeline_signaling::db::open(&self.config.database_url)
            .await
            .unwrap();
        Accounts::new(pool, Duration::from_secs(60))
            .add_with_role(username, display_name, PASSWORD, AccountRole::Admin)
            .await
            .unwrap();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Starts a server with default settings; returns its WebSocket URL. The
/// server lives until the test's runtime ends.
pub async fn start() -> String {
    let server = TestServer::start().await;
    let url = server.url.clone();
    std::mem::forget(server);
    url
}

pub async fn connect(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

pub async fn send(ws: &mut Socket, json: &str) {
    ws.send(Message::text(json)).await.unwrap();
}

/// The next JSON message, waiting at most five seconds.
pub async fn recv(ws: &mut Socket) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
                Some(Ok(_)) => continue,
                other => panic!("the connection ended: {other:?}"),
            }
        }
    })
    .await
    .expect("a message within 5 s")
}

/// Asserts that nothing arrives within `wait`.
pub async fn assert_silent(ws: &mut Socket, wait: Duration) {
    if let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(wait, ws.next()).await {
        panic!("expected silence, got {text}");
    }
}

/// Sends one text frame and returns the next JSON reply.
pub async fn exchange(ws: &mut Socket, json: &str) -> Value {
    send(ws, json).await;
    recv(ws).await
}

/// Connects and completes the hello as `role`.
pub async fn hello(url: &str, role: &str) -> Socket {
    let mut ws = connect(url).await;
    let reply = exchange(
        &mut ws,
        &format!(r#"{{"type":"hello","version":1,"role":"{role}"}}"#),
    )
    .await;
    assert_eq!(reply["type"], "welcome");
    let policy = recv(&mut ws).await;
    assert_eq!(policy["type"], "policy", "{policy}");
    ws
}

/// Connects from the loopback address `source` (127.0.0.x), as a peer at
/// another address would, and completes the hello as `role`.
pub async fn hello_from(url: &str, source: [u8; 4], role: &str) -> Socket {
    let addr: SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let (mut ws, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    let reply = exchange(
        &mut ws,
        &format!(r#"{{"type":"hello","version":1,"role":"{role}"}}"#),
    )
    .await;
    assert_eq!(reply["type"], "welcome");
    let policy = recv(&mut ws).await;
    assert_eq!(policy["type"], "policy", "{policy}");
    ws
}

/// Signs `ws` in as `user` (who must exist); returns the reply.
pub async fn login(ws: &mut Socket, user: &str, password: &str) -> Value {
    exchange(
        ws,
        &format!(r#"{{"type":"login","user":"{user}","password":"{password}"}}"#),
    )
    .await
}

/// A client with a fresh ID: (socket, id).
pub async fn client_with_id(url: &str) -> (Socket, String) {
    let mut ws = hello(url, "client").await;
    let issued = exchange(
        &mut ws,
        r#"{"type":"request_id","description":"Printer does not print","computer":{"name":"pc-7","os":"Debian 12","user":"ann"}}"#,
    )
    .await;
    assert_eq!(issued["type"], "id_issued", "{issued}");
    (ws, issued["id"].as_str().unwrap().to_owned())
}

/// An expert signed in as `user` (who must exist): (socket, token).
pub async fn signed_in_expert(url: &str, user: &str) -> (Socket, String) {
    let mut ws = hello(url, "expert").await;
    let reply = exchange(
        &mut ws,
        &format!(r#"{{"type":"login","user":"{user}","password":"{PASSWORD}"}}"#),
    )
    .await;
    assert_eq!(reply["type"], "signed_in", "{reply}");
    (ws, reply["token"].as_str().unwrap().to_owned())
}

/// The expert asks for `id` with `scopes`; returns the session ID after
/// checking the expert was told the client was located and the client got
/// the request.
pub async fn request(expert: &mut Socket, client: &mut Socket, id: &str, scopes: &str) -> String {
    let located = exchange(
        expert,
        &format!(r#"{{"type":"connect","id":"{id}","notes":"ticket 4711","scopes":{scopes}}}"#),
    )
    .await;
    assert_eq!(located["type"], "located", "{located}");
    let session = located["session"].as_str().unwrap().to_owned();
    let request = recv(client).await;
    assert_eq!(request["type"], "connect_request", "{request}");
    assert_eq!(request["session"], session.as_str());
    session
}

/// A request the client accepted with all it was asked; returns the session.
pub async fn accepted_session(expert: &mut Socket, client: &mut Socket, id: &str) -> String {
    let session = request(expert, client, id, r#"["view","control"]"#).await;
    send(
        client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view","control"]}}"#),
    )
    .await;
    for side in [&mut *client, &mut *expert] {
        let started = recv(side).await;
        assert_eq!(started["type"], "session_started", "{started}");
    }
    session
}

async fn http_get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A TCP connection to `addr` from the loopback address `source`
/// (127.0.0.x): to the server, a peer at another address.
pub async fn tcp_from(source: [u8; 4], addr: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// An HTTP GET from `source` to `addr`: (status, body); the status is 0
/// when the connection ended without a response.
pub async fn get_from(
    source: [u8; 4],
    addr: SocketAddr,
    path: &str,
    headers: &str,
) -> (u16, String) {
    let mut stream = tcp_from(source, addr).await;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Whether the server closes `stream` (end of stream or reset) within
/// `wait`, reading and discarding anything it sends first.
pub async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}
