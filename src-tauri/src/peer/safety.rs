//! The session's safety code: a short number both people read aloud to make
//! sure nobody sits between them.
//!
//! WebRTC encrypts with DTLS, and each peer's certificate fingerprint travels
//! in its SDP through the signaling server. A hostile server could swap both
//! fingerprints for its own and relay the media. Both apps therefore hash the
//! two fingerprints they *actually* used (their own, and the one they
//! verified the peer's certificate against) in an order that does not depend
//! on role. With no one in the middle both sides get the same code; with a
//! man in the middle each side sees a different pair, so the codes differ.

use ring::digest;

/// Domain separation, so this hash is never confused with another use.
const CONTEXT: &[u8] = b"lifeline safety code v1";

/// Every `a=fingerprint:` value in an SDP, normalised to `algo HEX:HEX…` in
/// lower case and sorted, so formatting differences never change the code.
pub fn fingerprints(sdp: &str) -> Vec<String> {
    let mut found: Vec<String> = sdp
        .lines()
        .filter_map(|line| line.trim().strip_prefix("a=fingerprint:"))
        .filter_map(|value| {
            let (algorithm, hex) = value.trim().split_once(' ')?;
            Some(format!(
                "{} {}",
                algorithm.to_ascii_lowercase(),
                hex.trim().to_ascii_lowercase()
            ))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Both sides' fingerprints as one string that is the same on both peers
/// when nobody sits between them: each side's list, the smaller first, each
/// prefixed with its length. `None` when either SDP has none.
pub fn fingerprint_view(local_sdp: &str, remote_sdp: &str) -> Option<String> {
    let local = fingerprints(local_sdp).join(",");
    let remote = fingerprints(remote_sdp).join(",");
    if local.is_empty() || remote.is_empty() {
        return None;
    }
    let (first, second) = if local <= remote {
        (local, remote)
    } else {
        (remote, local)
    };
    Some(format!("{}:{first}|{}:{second}", first.len(), second.len()))
}

/// The 6-digit code for a session, formatted `123 456`, or `None` when either
/// SDP carries no fingerprint (then there is nothing to compare, and the
/// connection could not have authenticated DTLS anyway).
pub fn safety_code(local_sdp: &str, remote_sdp: &str) -> Option<String> {
    let view = fingerprint_view(local_sdp, remote_sdp)?;
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(CONTEXT);
    context.update(view.as_bytes());
    let hash = context.finish();
    let bytes = hash.as_ref();
    // SHA-256 output is 32 bytes, so the first 8 always exist.
    let number = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")) % 1_000_000;
    Some(format!("{:03} {:03}", number / 1000, number % 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "v=0\r\na=fingerprint:sha-256 AB:CD:EF:01\r\nm=application 9\r\n";
    const B: &str = "v=0\r\na=fingerprint:sha-256 12:34:56:78\r\n";
    const MITM: &str = "v=0\r\na=fingerprint:sha-256 66:66:66:66\r\n";

    #[test]
    fn both_sides_get_the_same_code() {
        let code = safety_code(A, B).unwrap();
        assert_eq!(safety_code(B, A).unwrap(), code);
        assert_eq!(code.len(), 7);
        assert!(code.chars().enumerate().all(|(i, c)| if i == 3 {
            c == ' '
        } else {
            c.is_ascii_digit()
        }));
    }

    #[test]
    fn a_swapped_fingerprint_changes_the_code() {
        // The server gave each side its own certificate instead of the peer's.
        let client_sees = safety_code(A, MITM).unwrap();
        let expert_sees = safety_code(B, MITM).unwrap();
        assert_ne!(client_sees, expert_sees);
        assert_ne!(client_sees, safety_code(A, B).unwrap());
    }

    #[test]
    fn case_and_whitespace_do_not_matter() {
        let lower = "a=fingerprint:SHA-256 ab:cd:ef:01  \n";
        assert_eq!(safety_code(lower, B), safety_code(A, B));
    }

    #[test]
    fn no_fingerprint_no_code() {
        assert_eq!(safety_code("v=0\r\n", B), None);
        assert_eq!(fingerprints("a=fingerprint:broken"), Vec::<String>::new());
    }
}
