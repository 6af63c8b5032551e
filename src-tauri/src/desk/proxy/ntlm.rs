//! NTLM for an HTTP proxy's `CONNECT` (MS-NLMP, NTLMv2 only): the
//! Negotiate message that opens the exchange, and the Authenticate message
//! that answers the proxy's Challenge. The message formats and the
//! cryptography are the `ntlmclient` crate's; this file picks the flags,
//! reads the challenge, and leaves out what a tunnel has no use for
//! (signing, sealing, key exchange). LM and NTLMv1 answers are never sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ntlmclient::{Flags, Message, NegotiateMessage};

use super::{Credentials, ProxyError};

/// What the Negotiate message asks for: Unicode names, the server's
/// target information (NTLMv2 needs it) and extended session security.
fn asked() -> Flags {
    Flags::NEGOTIATE_UNICODE
        | Flags::REQUEST_TARGET
        | Flags::NEGOTIATE_NTLM
        | Flags::NEGOTIATE_ALWAYS_SIGN
        | Flags::NEGOTIATE_NTLM2_KEY
        | Flags::NEGOTIATE_TARGET_INFO
        | Flags::NEGOTIATE_128BIT
        | Flags::NEGOTIATE_56BIT
}

/// The first `Proxy-Authorization: NTLM …` token.
pub(super) fn negotiate() -> String {
    let message = Message::Negotiate(NegotiateMessage {
        flags: asked(),
        supplied_domain: String::new(),
        supplied_workstation: String::new(),
        os_version: Default::default(),
    });
    // A Negotiate message without names always serialises.
    STANDARD.encode(message.to_bytes().unwrap_or_default())
}

/// The answer to the proxy's `challenge` (the base64 token after `NTLM`
/// in its `Proxy-Authenticate`), as the next `Proxy-Authorization` token.
pub(super) fn authenticate(
    challenge: &str,
    credentials: &Credentials,
) -> Result<String, ProxyError> {
    let bytes = STANDARD
        .decode(challenge.trim())
        .map_err(|e| garbled(&e.to_string()))?;
    let challenge = Challenge::parse(&bytes)?;
    // MS-NLMP 3.1.5.1.2: the server's timestamp when it gives one, so a
    // client whose clock is off still answers in time.
    let time = challenge
        .timestamp()
        .unwrap_or_else(ntlmclient::get_ntlm_time);
    let creds = ntlmclient::Credentials {
        username: credentials.user.clone(),
        password: credentials.password.clone(),
        domain: credentials.domain.clone(),
    };
    let mut response =
        ntlmclient::respond_challenge_ntlm_v2(challenge.nonce, challenge.target_info, time, &creds);
    // No key exchange was negotiated, so no session key is sent.
    response.session_key.clear();
    let flags = (challenge.flags & asked()) | Flags::NEGOTIATE_UNICODE;
    let message = response.to_message(&creds, "", flags);
    let bytes = message
        .to_bytes()
        .map_err(|e| ProxyError::Refused(format!("NTLM answer: {e:?}")))?;
    Ok(STANDARD.encode(bytes))
}

fn garbled(what: &str) -> ProxyError {
    ProxyError::Garbled(format!("NTLM challenge: {what}"))
}

/// What an answer needs of the server's Challenge message (MS-NLMP
/// 2.2.1.2), read here rather than by the crate, whose reader insists on
/// the version field that squid and older servers leave out.
struct Challenge<'a> {
    flags: Flags,
    nonce: [u8; 8],
    /// The target information exactly as sent: NTLMv2 signs these bytes.
    target_info: &'a [u8],
}

impl<'a> Challenge<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, ProxyError> {
        if bytes.len() < 32 || &bytes[..8] != b"NTLMSSP\0" || bytes[8..12] != 2u32.to_le_bytes() {
            return Err(garbled("not a challenge message"));
        }
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let mut nonce = [0; 8];
        nonce.copy_from_slice(&bytes[24..32]);
        let flags = Flags::from_bits_retain(u32_at(20));
        // The target information's fields follow 8 reserved bytes, and its
        // bytes the 48 of the header. A message too short for them, or
        // whose fields point elsewhere (squid's test helper puts its
        // workgroup's name there), has none: the answer is then NTLMv2
        // without it, which a server that sent none accepts.
        let target_info = match bytes.len() >= 48 && flags.contains(Flags::NEGOTIATE_TARGET_INFO) {
            true => {
                let (len, offset) = (usize::from(u16_at(40)), u32_at(44) as usize);
                bytes
                    .get(offset..offset.saturating_add(len))
                    .filter(|_| offset >= 48)
            }
            false => None,
        };
        if target_info.is_none() {
            tracing::debug!("the proxy's NTLM challenge carries no target information");
        }
        Ok(Self {
            flags,
            nonce,
            target_info: target_info.unwrap_or_default(),
        })
    }

    /// The server's `MsvAvTimestamp`, if its target information has one.
    fn timestamp(&self) -> Option<i64> {
        let mut rest = self.target_info;
        while rest.len() >= 4 {
            let id = u16::from_le_bytes([rest[0], rest[1]]);
            let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
            let value = rest.get(4..4 + len)?;
            match id {
                0 => return None,
                7 => return value.try_into().ok().map(i64::from_le_bytes),
                _ => rest = &rest[4 + len..],
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    //! The vectors are MS-NLMP's section 4.2.1 and 4.2.4: user "User",
    //! domain "Domain", password "Password", and the server challenge
    //! 0123456789abcdef. The proxy's side is played here by checking the
    //! answer as a server would: the proof recomputed from the published
    //! NTLMv2 key, not from anything this module or its crate derived.

    use hmac::{Hmac, Mac};
    use md5::Md5;
    use ntlmclient::{TargetInfoEntry, TargetInfoType};

    use super::*;

    const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    /// NTOWFv2("Password", "User", "Domain"), MS-NLMP 4.2.4.1.1.
    const RESPONSE_KEY_NT: [u8; 16] = [
        0x0c, 0x86, 0x8a, 0x40, 0x3b, 0xfd, 0x7a, 0x93, 0xa3, 0x00, 0x1e, 0xf2, 0x2e, 0xf0, 0x2e,
        0x3f,
    ];

    fn user() -> Credentials {
        Credentials {
            user: "User".into(),
            password: "Password".into(),
            domain: "Domain".into(),
        }
    }

    /// A Challenge message laid out by hand as MS-NLMP 2.2.1.2 has it
    /// (the crate's own writer misplaces the reserved field), and its
    /// target information.
    fn challenge(timestamp: Option<i64>) -> (String, Vec<u8>) {
        let mut target_information = vec![
            TargetInfoEntry::from_string(TargetInfoType::NtDomain, "Domain"),
            TargetInfoEntry::from_string(TargetInfoType::NtServer, "Server"),
        ];
        if let Some(time) = timestamp {
            target_information.push(TargetInfoEntry {
                entry_type: TargetInfoType::Timestamp,
                data: time.to_le_bytes().to_vec(),
            });
        }
        let mut info: Vec<u8> = target_information
            .iter()
            .flat_map(|e| e.to_bytes())
            .collect();
        info.extend_from_slice(&[0, 0, 0, 0]); // MsvAvEOL
        let name: Vec<u8> = "Domain".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let fields = |len: usize, offset: usize| {
            let mut f = (len as u16).to_le_bytes().repeat(2);
            f.extend_from_slice(&(offset as u32).to_le_bytes());
            f
        };
        let flags = asked() | Flags::TARGET_TYPE_DOMAIN;
        let mut message = b"NTLMSSP\0".to_vec();
        message.extend_from_slice(&2u32.to_le_bytes());
        message.extend(fields(name.len(), 56));
        message.extend_from_slice(&flags.bits().to_le_bytes());
        message.extend_from_slice(&SERVER_CHALLENGE);
        message.extend_from_slice(&[0; 8]);
        message.extend(fields(info.len(), 56 + name.len()));
        message.extend_from_slice(&[0; 8]);
        message.extend(name);
        message.extend_from_slice(&info);
        (STANDARD.encode(message), info)
    }

    fn authenticate_message(token: &str) -> ntlmclient::AuthenticateMessage {
        let bytes = STANDARD.decode(token).unwrap();
        match Message::try_from(bytes.as_slice()).unwrap() {
            Message::Authenticate(message) => message,
            other => panic!("not an Authenticate message: {other:?}"),
        }
    }

    #[test]
    fn the_negotiate_message_asks_for_ntlmv2_with_unicode() {
        let bytes = STANDARD.decode(negotiate()).unwrap();
        assert_eq!(&bytes[..12], b"NTLMSSP\0\x01\0\0\0");
        let flags = Flags::from_bits_retain(u32::from_le_bytes(bytes[12..16].try_into().unwrap()));
        assert!(flags.contains(
            Flags::NEGOTIATE_NTLM | Flags::NEGOTIATE_UNICODE | Flags::NEGOTIATE_NTLM2_KEY
        ));
        assert!(!flags.contains(Flags::NEGOTIATE_LANMAN_KEY));
        // The header with its (empty) version field, and no names.
        assert_eq!(bytes.len(), 40);
    }

    #[test]
    fn the_answer_proves_the_password_as_an_ntlm_server_checks_it() {
        let (token, target_info) = challenge(Some(0x01d6_0000_0000_0000));
        let answer = authenticate_message(&authenticate(&token, &user()).unwrap());
        assert_eq!(
            (answer.user_name.as_str(), answer.domain_name.as_str()),
            ("User", "Domain")
        );
        assert!(answer.session_key.is_empty());

        // NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || blob).
        let (proof, blob) = answer.ntlm_response.split_at(16);
        let mut mac = Hmac::<Md5>::new_from_slice(&RESPONSE_KEY_NT).unwrap();
        mac.update(&SERVER_CHALLENGE);
        mac.update(blob);
        assert_eq!(proof, mac.finalize().into_bytes().as_slice());

        // The blob: version 1.1, the server's timestamp (not ours), the
        // client challenge, then the server's target information as sent.
        assert_eq!(&blob[..2], &[1, 1]);
        assert_eq!(blob[8..16], 0x01d6_0000_0000_0000_i64.to_le_bytes());
        let client_challenge = &blob[16..24];
        assert_eq!(&blob[28..28 + target_info.len()], target_info.as_slice());

        // LMv2 = HMAC_MD5(ResponseKeyNT, ServerChallenge || ClientChallenge).
        let mut mac = Hmac::<Md5>::new_from_slice(&RESPONSE_KEY_NT).unwrap();
        mac.update(&SERVER_CHALLENGE);
        mac.update(client_challenge);
        assert_eq!(
            &answer.lm_response[..16],
            mac.finalize().into_bytes().as_slice()
        );
    }

    #[test]
    fn a_wrong_password_gives_a_proof_the_server_rejects() {
        let (token, _) = challenge(None);
        let mut wrong = user();
        wrong.password = "password".into();
        let answer = authenticate_message(&authenticate(&token, &wrong).unwrap());
        let (proof, blob) = answer.ntlm_response.split_at(16);
        let mut mac = Hmac::<Md5>::new_from_slice(&RESPONSE_KEY_NT).unwrap();
        mac.update(&SERVER_CHALLENGE);
        mac.update(blob);
        assert_ne!(proof, mac.finalize().into_bytes().as_slice());
    }

    #[test]
    fn a_challenge_without_usable_target_information_is_answered_without_it() {
        let (token, _) = challenge(None);
        let whole = STANDARD.decode(token).unwrap();
        // Squid's and older servers' 32-byte form, with no version field.
        let short = whole[..32].to_vec();
        // Target information's fields pointing past the end.
        let mut astray = whole.clone();
        astray[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        for bytes in [short, astray] {
            let token = authenticate(&STANDARD.encode(&bytes), &user()).unwrap();
            let answer = authenticate_message(&token);
            let (proof, blob) = answer.ntlm_response.split_at(16);
            let mut mac = Hmac::<Md5>::new_from_slice(&RESPONSE_KEY_NT).unwrap();
            mac.update(&SERVER_CHALLENGE);
            mac.update(blob);
            assert_eq!(proof, mac.finalize().into_bytes().as_slice());
            // Nothing between the client challenge and the blob's end.
            assert_eq!(blob.len(), 28 + 4);
        }
    }

    #[test]
    fn a_hostile_challenge_is_an_error_not_a_panic() {
        let mut bytes = STANDARD.decode(challenge(None).0).unwrap();
        bytes[8] = 3;
        let not_a_challenge = STANDARD.encode(&bytes);
        for garbage in [
            not_a_challenge,
            "not base64!".to_owned(),
            STANDARD.encode(b"NTLMSSP\0"),
            negotiate(),
            {
                bytes.truncate(30);
                STANDARD.encode(&bytes)
            },
        ] {
            let error = authenticate(&garbage, &user()).unwrap_err();
            assert_eq!(error.code(), "proxy_broken", "{garbage}: {error}");
        }
    }
}
