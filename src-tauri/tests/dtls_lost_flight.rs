//! A DTLS handshake survives the loss of the client's last flight.
//!
//! Two `rtc-dtls` endpoints, configured as webrtc-rs configures a peer
//! connection's, shake hands over a simulated wire with a simulated clock: each
//! datagram takes `ONE_WAY`, and the client takes `CLIENT_WORK` to answer. The
//! wire drops the client's third flight of datagrams (flight 5: its
//! certificate, key exchange and Finished) once. The server then repeats its
//! flight 4, and the client must send flight 5 again.
//!
//! With the published rtc-dtls 0.21.1, the server's repeat stopped the client's
//! retransmission timer, so the client never sent again and the server gave up
//! after eight tries: the `lossy_network` failure at 5 % loss. The vendored
//! copy (`vendor/rtc-dtls`) keeps the timer running until a flight completes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::dtls::config::{ClientAuthType, ConfigBuilder, ExtendedMasterSecretType, HandshakeConfig};
use rtc::dtls::crypto::Certificate;
use rtc::dtls::endpoint::{Endpoint, EndpointEvent};
use rtc::shared::TransportProtocol;

const ONE_WAY: Duration = Duration::from_millis(40);
const CLIENT_WORK: Duration = Duration::from_millis(5);
/// Well inside the server's eight retransmissions at its 1 s interval.
const COMPLETE_WITHIN: Duration = Duration::from_secs(4);

const CLIENT: usize = 0;
const SERVER: usize = 1;

fn config(is_client: bool) -> Arc<HandshakeConfig> {
    let provider = rtc::crypto::default_provider().unwrap();
    let certificate =
        Certificate::generate_self_signed(vec!["lifeline".to_owned()], provider.crypto()).unwrap();
    let config = ConfigBuilder::default()
        .with_crypto_provider(provider)
        .with_certificates(vec![certificate])
        .with_client_auth(ClientAuthType::RequireAnyClientCert)
        .with_insecure_skip_verify(true)
        .with_extended_master_secret(ExtendedMasterSecretType::Require)
        .build(is_client, None)
        .unwrap();
    Arc::new(config)
}

struct Wire {
    start: Instant,
    addrs: [SocketAddr; 2],
    endpoints: [Endpoint; 2],
    /// Datagrams on their way: when they land, and at which side.
    in_flight: VecDeque<(Instant, usize, BytesMut)>,
    completed: [Option<Duration>; 2],
    client_flights: usize,
    dropped: usize,
    /// The simulated time of the last thing that happened.
    clock: Instant,
}

impl Wire {
    fn new(start: Instant) -> Self {
        let addrs: [SocketAddr; 2] = [
            "10.0.0.1:5000".parse().unwrap(),
            "10.0.0.2:5000".parse().unwrap(),
        ];
        let client = Endpoint::new(addrs[CLIENT], TransportProtocol::UDP, None);
        let server = Endpoint::new(addrs[SERVER], TransportProtocol::UDP, Some(config(false)));
        Self {
            start,
            addrs,
            endpoints: [client, server],
            in_flight: VecDeque::new(),
            completed: [None, None],
            client_flights: 0,
            dropped: 0,
            clock: start,
        }
    }

    /// Puts what `side` queued on the wire, but the client's third flight.
    fn send_from(&mut self, side: usize) {
        let mut sent = false;
        while let Some(message) = self.endpoints[side].poll_transmit() {
            if side == CLIENT && !sent {
                self.client_flights += 1;
            }
            sent = true;
            if side == CLIENT && self.client_flights == 3 {
                self.dropped += 1;
                continue;
            }
            let lands = message.now + ONE_WAY;
            self.in_flight.push_back((lands, 1 - side, message.message));
        }
        self.in_flight
            .make_contiguous()
            .sort_by_key(|(lands, ..)| *lands);
    }

    fn note(&mut self, side: usize, events: Vec<EndpointEvent>, at: Instant) {
        if events
            .iter()
            .any(|event| matches!(event, EndpointEvent::HandshakeComplete))
        {
            self.completed[side].get_or_insert(at - self.start);
        }
    }

    /// Runs the next thing due, a landing before a timer at the same instant.
    /// `false` when nothing is left to happen.
    fn step(&mut self) -> rtc::shared::error::Result<bool> {
        let timers =
            [CLIENT, SERVER].map(|side| self.endpoints[side].poll_timeout(&self.addrs[1 - side]));
        let next_landing = self.in_flight.front().map(|(lands, ..)| *lands);
        let next_timer = timers.iter().flatten().min().copied();
        let land_first = match (next_landing, next_timer) {
            (None, None) => return Ok(false),
            (Some(lands), Some(timer)) => lands <= timer,
            (landing, _) => landing.is_some(),
        };
        if land_first {
            let (lands, side, datagram) = self.in_flight.pop_front().unwrap();
            let now = if side == CLIENT {
                lands + CLIENT_WORK
            } else {
                lands
            };
            self.clock = now;
            let from = self.addrs[1 - side];
            let events = self.endpoints[side].read(now, from, None, datagram)?;
            self.note(side, events, now);
            self.send_from(side);
        } else {
            let timer = next_timer.unwrap();
            let side = if timers[CLIENT] == Some(timer) {
                CLIENT
            } else {
                SERVER
            };
            self.clock = timer;
            self.endpoints[side].handle_timeout(self.addrs[1 - side], timer)?;
            self.send_from(side);
        }
        Ok(true)
    }
}

#[test]
fn the_client_sends_its_lost_last_flight_again() {
    let start = Instant::now();
    let mut wire = Wire::new(start);
    wire.endpoints[CLIENT]
        .connect(start, wire.addrs[SERVER], config(true), None)
        .unwrap();
    wire.send_from(CLIENT);

    while wire.completed.iter().any(Option::is_none) {
        let more = wire.step().unwrap_or_else(|error| {
            panic!(
                "the handshake failed after {:?}: {error} (completed: {:?})",
                wire.clock - start,
                wire.completed
            )
        });
        assert!(
            more,
            "the handshake stalled with nothing left to send (completed: {:?})",
            wire.completed
        );
    }

    assert!(
        wire.dropped > 0,
        "the wire dropped nothing, so the test proved nothing"
    );
    let [client, server] = wire.completed.map(Option::unwrap);
    assert!(
        client <= COMPLETE_WITHIN && server <= COMPLETE_WITHIN,
        "the handshake took client {client:?}, server {server:?}"
    );
    // The lost flight went again on the client's own timer, about one
    // interval later: not only after the server's repeat, and not never.
    assert!(
        server > Duration::from_secs(1),
        "the server completed at {server:?}, before any repeat"
    );
}
