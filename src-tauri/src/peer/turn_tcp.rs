//! TURN over TCP and TLS, for networks that let no UDP out: webrtc-rs's
//! TURN client speaks UDP only, so each `turn:…?transport=tcp` and `turns:`
//! server gets a bridge on loopback. The ICE agent talks TURN over UDP to
//! the bridge; the bridge carries each of its messages to the real server
//! over TCP (through the proxy when one is in use, then TLS for `turns:`),
//! and each message back as a datagram. TURN itself is unchanged: the
//! relay the server allocates is the same, only the leg to it differs.
//!
//! Over a stream, TURN messages are self-delimiting (RFC 8656 §12.5): a
//! STUN message is its 20-byte header plus the length in it; a ChannelData
//! message is its 4-byte header plus the length in it, padded to four
//! bytes over TCP (and not over UDP).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::desk::proxy::Route;

/// The largest TURN message carried (a UDP datagram's worth).
const MAX_MESSAGE: usize = 64 * 1024;
/// Datagrams waiting for one connection to the server.
const QUEUE: usize = 256;

/// How the bridge reaches the real server.
#[derive(Clone)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
    /// `turns:`: TLS with this configuration (the desk's: public CAs or
    /// its pinned key).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub route: Route,
}

impl Upstream {
    /// "tcp" or "tls", as the path reports the leg to the server.
    pub fn protocol(&self) -> &'static str {
        if self.tls.is_some() { "tls" } else { "tcp" }
    }
}

/// A running bridge: a UDP socket on loopback standing for the server.
/// Dropping it stops the bridge and its connections.
pub struct Bridge {
    pub local: SocketAddr,
    pub protocol: &'static str,
    task: JoinHandle<()>,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Bridge {
    pub async fn start(upstream: Upstream) -> std::io::Result<Self> {
        // The agent's bursts land here: large buffers, like its own
        // sockets, or a file transfer's burst overflows them.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        super::runtime::enlarge(&socket);
        socket.set_nonblocking(true)?;
        let socket = Arc::new(UdpSocket::from_std(socket)?);
        let local = socket.local_addr()?;
        let protocol = upstream.protocol();
        let task = tokio::spawn(serve(socket, upstream));
        Ok(Self {
            local,
            protocol,
            task,
        })
    }
}

/// Takes the agent's datagrams and hands each to the connection for its
/// source address (one TURN allocation each), opening it on the first.
async fn serve(socket: Arc<UdpSocket>, upstream: Upstream) {
    let mut connections: HashMap<SocketAddr, (mpsc::Sender<Vec<u8>>, JoinHandle<()>)> =
        HashMap::new();
    let mut buffer = vec![0u8; MAX_MESSAGE];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buffer).await else {
            break;
        };
        connections.retain(|_, (_, task)| !task.is_finished());
        let (queue, _) = connections.entry(from).or_insert_with(|| {
            let (queue, outgoing) = mpsc::channel(QUEUE);
            let task = tokio::spawn(carry(Arc::clone(&socket), from, upstream.clone(), outgoing));
            (queue, task)
        });
        // A full queue drops the datagram, as a congested path would.
        let _ = queue.try_send(buffer[..n].to_vec());
    }
    for (_, (_, task)) in connections {
        task.abort();
    }
}

/// One allocation's connection to the server, both ways, until either
/// side closes.
async fn carry(
    socket: Arc<UdpSocket>,
    agent: SocketAddr,
    upstream: Upstream,
    outgoing: mpsc::Receiver<Vec<u8>>,
) {
    let stream = match connect(&upstream).await {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%error, server = %upstream.host, "TURN over {} unreachable", upstream.protocol());
            return;
        }
    };
    let (reader, writer) = tokio::io::split(stream);
    let up = tokio::spawn(send_up(writer, outgoing));
    if let Err(error) = send_down(reader, &socket, agent).await {
        tracing::debug!(%error, "TURN connection closed");
    }
    up.abort();
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

async fn connect(upstream: &Upstream) -> std::io::Result<Box<dyn Stream>> {
    let proxy = upstream
        .route
        .proxy_for(&upstream.host, upstream.tls.is_some())
        .await
        .map_err(std::io::Error::other)?;
    let tcp = match proxy {
        Some(proxy) => proxy
            .open(&upstream.host, upstream.port)
            .await
            .map_err(std::io::Error::other)?,
        None => TcpStream::connect((upstream.host.as_str(), upstream.port)).await?,
    };
    tcp.set_nodelay(true)?;
    match &upstream.tls {
        None => Ok(Box::new(tcp)),
        Some(config) => {
            let name =
                ServerName::try_from(upstream.host.clone()).map_err(std::io::Error::other)?;
            let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
                .connect(name, tcp)
                .await?;
            Ok(Box::new(tls))
        }
    }
}

/// The agent's datagrams to the server, ChannelData padded for a stream.
async fn send_up(
    mut writer: impl AsyncWrite + Unpin,
    mut outgoing: mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<()> {
    while let Some(mut message) = outgoing.recv().await {
        if is_channel_data(&message) {
            message.resize(message.len().next_multiple_of(4), 0);
        }
        writer.write_all(&message).await?;
    }
    Ok(())
}

/// The server's messages to the agent, one datagram each, padding off.
async fn send_down(
    mut reader: impl AsyncRead + Unpin,
    socket: &UdpSocket,
    agent: SocketAddr,
) -> std::io::Result<()> {
    let mut header = [0u8; 4];
    let mut body = vec![0u8; MAX_MESSAGE];
    loop {
        reader.read_exact(&mut header).await?;
        let (length, padded) = framed_length(header);
        let rest = padded - 4;
        if padded > MAX_MESSAGE {
            return Err(std::io::Error::other("a TURN message over 64 KiB"));
        }
        reader.read_exact(&mut body[..rest]).await?;
        let mut datagram = Vec::with_capacity(length);
        datagram.extend_from_slice(&header);
        datagram.extend_from_slice(&body[..length - 4]);
        socket.send_to(&datagram, agent).await?;
    }
}

/// A ChannelData message starts with a channel number, 0x4000–0x7FFF:
/// its first two bits are 01 (a STUN message's are 00).
fn is_channel_data(message: &[u8]) -> bool {
    message.first().is_some_and(|b| b >> 6 == 0b01)
}

/// From a message's first four bytes: its length, and how many bytes it
/// takes on a stream (with ChannelData's padding).
fn framed_length(header: [u8; 4]) -> (usize, usize) {
    let declared = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if header[0] >> 6 == 0b01 {
        let length = 4 + declared;
        (length, length.next_multiple_of(4))
    } else {
        let length = 20 + declared;
        (length, length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_measured_by_their_headers() {
        // A STUN binding request: 20 bytes of header, 8 of attributes.
        assert_eq!(framed_length([0x00, 0x01, 0x00, 0x08]), (28, 28));
        // ChannelData of 5 bytes: 9, padded to 12 on a stream.
        assert_eq!(framed_length([0x40, 0x00, 0x00, 0x05]), (9, 12));
        assert_eq!(framed_length([0x7f, 0xff, 0x00, 0x04]), (8, 8));
        assert!(is_channel_data(&[0x40, 0, 0, 1, 9]));
        assert!(!is_channel_data(&[0x00, 1, 0, 0]));
    }

    #[tokio::test]
    async fn channel_data_is_padded_up_and_unpadded_down() {
        let (mut near, far) = tokio::io::duplex(1024);
        let (queue, outgoing) = mpsc::channel(4);
        queue
            .send(vec![0x40, 0x01, 0x00, 0x01, 0xAA])
            .await
            .unwrap();
        queue
            .send(
                vec![0x00, 0x01, 0x00, 0x00]
                    .into_iter()
                    .chain([7; 16])
                    .collect(),
            )
            .await
            .unwrap();
        drop(queue);
        send_up(far, outgoing).await.unwrap();
        let mut sent = Vec::new();
        near.read_to_end(&mut sent).await.unwrap();
        assert_eq!(&sent[..8], &[0x40, 0x01, 0x00, 0x01, 0xAA, 0, 0, 0]);
        assert_eq!(sent.len(), 8 + 20);

        let agent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let bridge = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (mut server, from_server) = tokio::io::duplex(1024);
        server.write_all(&sent).await.unwrap();
        drop(server);
        let _ = send_down(from_server, &bridge, agent.local_addr().unwrap()).await;
        let mut datagram = [0u8; 64];
        let n = agent.recv(&mut datagram).await.unwrap();
        assert_eq!(&datagram[..n], &[0x40, 0x01, 0x00, 0x01, 0xAA]);
        let n = agent.recv(&mut datagram).await.unwrap();
        assert_eq!(n, 20);
    }
}
