//! PIN binding: proof that the two peers are each other, even when the
//! signaling server is hostile.
//!
//! The client's app shows a 4-digit PIN beside its ID. It is made locally
//! and never sent anywhere; the person reads it to the expert, who types it.
//! Both peers then run SPAKE2 (symmetric, as Chrome Remote Desktop does with
//! its access code) over the desk, with the PIN as the password and the
//! session as the identity. The server relays the two messages but cannot
//! learn the PIN or the key from them, and a server that plays each side
//! with a guess gets one guess per session: a wrong guess leaves the peers
//! with different keys.
//!
//! With the key, each peer MACs the DTLS fingerprints its connection really
//! uses ([`crate::peer::safety::fingerprint_view`]) and sends the MAC. A
//! server that swapped the fingerprints to sit in the middle gives the two
//! peers different views, so each peer's check of the other's MAC fails and
//! the session ends. Nothing falls back to an unchecked connection.

use ring::hmac;
use spake2::{Ed25519Group, Identity, Password, Spake2};

use lifeline_signaling::protocol::Role;

use super::notice::NoticeCode;
use crate::hex;
use lifeline_signaling::protocol::signal::Signal;

/// Digits in a PIN.
pub const PIN_DIGITS: usize = 4;

const PROOF_CONTEXT: &[u8] = b"lifeline pin proof v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("the PIN must be {PIN_DIGITS} digits")]
    BadPin,
    #[error("the other side's PIN message is malformed")]
    Malformed,
    #[error("the PIN check failed: a wrong PIN, or someone between the two computers")]
    Mismatch,
}

impl PinError {
    pub fn code(&self) -> &'static str {
        self.notice_code().as_str()
    }

    /// What the session's end says to the UI.
    pub fn notice_code(&self) -> NoticeCode {
        match self {
            Self::BadPin => NoticeCode::BadPin,
            Self::Malformed | Self::Mismatch => NoticeCode::PinMismatch,
        }
    }
}

/// A fresh PIN from the operating system's CSPRNG.
pub fn new_pin() -> String {
    let mut bytes = [0u8; 4];
    // The system RNG failing is not something to carry on from.
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system random generator works");
    format!("{:04}", u32::from_be_bytes(bytes) % 10_000)
}

/// A PIN as typed: digits, spaces ignored.
pub fn parse_pin(typed: &str) -> Result<String, PinError> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == PIN_DIGITS && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(PinError::BadPin)
    }
}

/// One session's PIN check.
pub struct PinCheck {
    role: Role,
    exchange: Option<Spake2<Ed25519Group>>,
    key: Option<hmac::Key>,
    /// The other side's proof, kept until this side can check it.
    their_proof: Option<Vec<u8>>,
    proved: bool,
    verified: bool,
}

impl std::fmt::Debug for PinCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinCheck")
            .field("role", &self.role)
            .field("keyed", &self.key.is_some())
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl PinCheck {
    /// Starts the check; the returned signal goes to the other peer.
    pub fn start(pin: &str, session: &str, role: Role) -> (Self, Signal) {
        let (exchange, message) = Spake2::<Ed25519Group>::start_symmetric(
            &Password::new(pin.as_bytes()),
            &Identity::new(format!("lifeline session {session}").as_bytes()),
        );
        let check = Self {
            role,
            exchange: Some(exchange),
            key: None,
            their_proof: None,
            proved: false,
            verified: false,
        };
        (
            check,
            Signal::Pake {
                message: hex::encode(&message),
            },
        )
    }

    pub fn verified(&self) -> bool {
        self.verified
    }

    /// The other side's SPAKE2 message.
    pub fn on_exchange(&mut self, message: &str) -> Result<(), PinError> {
        let exchange = self.exchange.take().ok_or(PinError::Malformed)?;
        let message = hex::decode(message).ok_or(PinError::Malformed)?;
        let key = exchange.finish(&message).map_err(|_| PinError::Malformed)?;
        self.key = Some(hmac::Key::new(hmac::HMAC_SHA256, &key));
        Ok(())
    }

    /// The other side's proof; checked once this side has the key and its
    /// own view of the fingerprints.
    pub fn on_proof(&mut self, proof: &str) -> Result<(), PinError> {
        self.their_proof = Some(hex::decode(proof).ok_or(PinError::Malformed)?);
        Ok(())
    }

    /// This side's proof over `fingerprints`, once, when the key is there.
    pub fn proof(&mut self, fingerprints: &str) -> Option<Signal> {
        let key = self.key.as_ref()?;
        if self.proved {
            return None;
        }
        self.proved = true;
        let tag = hmac::sign(key, &proof_input(self.role, fingerprints));
        Some(Signal::PinProof {
            proof: hex::encode(tag.as_ref()),
        })
    }

    /// Checks the other side's proof against this side's `fingerprints`:
    /// `None` while the key or the proof is missing.
    pub fn verify(&mut self, fingerprints: &str) -> Option<Result<(), PinError>> {
        let key = self.key.as_ref()?;
        let theirs = self.their_proof.as_ref()?;
        let peer = match self.role {
            Role::Client => Role::Expert,
            Role::Expert => Role::Client,
        };
        let outcome = hmac::verify(key, &proof_input(peer, fingerprints), theirs)
            .map_err(|_| PinError::Mismatch);
        self.verified = outcome.is_ok();
        Some(outcome)
    }
}

fn proof_input(role: Role, fingerprints: &str) -> Vec<u8> {
    let role = match role {
        Role::Client => &b"client"[..],
        Role::Expert => &b"expert"[..],
    };
    [PROOF_CONTEXT, b"|", role, b"|", fingerprints.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pake(signal: &Signal) -> &str {
        match signal {
            Signal::Pake { message } => message,
            other => panic!("not a PIN message: {other:?}"),
        }
    }

    fn proof(signal: Signal) -> String {
        match signal {
            Signal::PinProof { proof } => proof,
            other => panic!("not a proof: {other:?}"),
        }
    }

    /// Runs the check between a client and an expert that typed
    /// `expert_pin` and see the fingerprints `client_view` / `expert_view`.
    fn run(expert_pin: &str, client_view: &str, expert_view: &str) -> [Result<(), PinError>; 2] {
        let (mut client, to_expert) = PinCheck::start("4821", "s1", Role::Client);
        let (mut expert, to_client) = PinCheck::start(expert_pin, "s1", Role::Expert);
        client.on_exchange(pake(&to_client)).unwrap();
        expert.on_exchange(pake(&to_expert)).unwrap();
        let from_client = proof(client.proof(client_view).unwrap());
        let from_expert = proof(expert.proof(expert_view).unwrap());
        assert!(client.proof(client_view).is_none(), "one proof per session");
        client.on_proof(&from_expert).unwrap();
        expert.on_proof(&from_client).unwrap();
        [
            client.verify(client_view).unwrap(),
            expert.verify(expert_view).unwrap(),
        ]
    }

    #[test]
    fn the_same_pin_and_the_same_fingerprints_pass() {
        assert_eq!(run("4821", "view", "view"), [Ok(()), Ok(())]);
    }

    #[test]
    fn a_wrong_pin_fails_on_both_sides() {
        assert_eq!(
            run("4822", "view", "view"),
            [Err(PinError::Mismatch), Err(PinError::Mismatch)]
        );
    }

    #[test]
    fn swapped_fingerprints_fail_on_both_sides() {
        assert_eq!(
            run("4821", "client+mitm", "expert+mitm"),
            [Err(PinError::Mismatch), Err(PinError::Mismatch)]
        );
    }

    #[test]
    fn a_proof_made_for_the_other_role_is_refused() {
        // A relay that reflects a peer's own proof back at it gains nothing.
        let (mut client, to_expert) = PinCheck::start("4821", "s1", Role::Client);
        let (mut expert, to_client) = PinCheck::start("4821", "s1", Role::Expert);
        client.on_exchange(pake(&to_client)).unwrap();
        expert.on_exchange(pake(&to_expert)).unwrap();
        let own = proof(client.proof("view").unwrap());
        client.on_proof(&own).unwrap();
        assert_eq!(client.verify("view"), Some(Err(PinError::Mismatch)));
    }

    #[test]
    fn nothing_is_decided_early_and_garbage_is_refused() {
        let (mut client, _) = PinCheck::start("4821", "s1", Role::Client);
        assert!(client.proof("view").is_none());
        assert!(client.verify("view").is_none());
        assert_eq!(client.on_proof("zz"), Err(PinError::Malformed));
        assert_eq!(client.on_exchange("abc"), Err(PinError::Malformed));
        assert_eq!(client.on_exchange("00"), Err(PinError::Malformed), "spent");
    }

    #[test]
    fn pins_are_four_digits() {
        for _ in 0..100 {
            let pin = new_pin();
            assert_eq!(parse_pin(&pin), Ok(pin));
        }
        assert_eq!(parse_pin(" 48 21 "), Ok("4821".into()));
        assert_eq!(parse_pin("482"), Err(PinError::BadPin));
        assert_eq!(parse_pin("48a1"), Err(PinError::BadPin));
        assert_eq!(parse_pin("٤٨٢١"), Err(PinError::BadPin));
    }
}
