//! TLS to the support desk, and server pinning.
//!
//! A `wss://` desk is checked like any web server: a certificate for its
//! name from a public CA (Mozilla's roots, built in). A client build or
//! configuration can also carry the desk's **verification code**
//! (`LIFELINE_SERVER_PIN`): the SHA-256 of its TLS public key
//! (SubjectPublicKeyInfo), as PRISMAprepare pairs a service organisation ID
//! with a verification code. Then the app talks to that key and no other,
//! whoever signed the certificate: a desk with a self-signed certificate
//! works, and a CA that issues a certificate for the desk's name to someone
//! else does not help them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ring::digest;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_tungstenite::Connector;

use crate::hex;

/// The SHA-256 of the desk's public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ServerPin([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a verification code is 64 hexadecimal digits (colons and spaces allowed)")]
pub struct BadPin;

impl FromStr for ServerPin {
    type Err = BadPin;

    fn from_str(text: &str) -> Result<Self, BadPin> {
        let digits: String = text.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
        let bytes = hex::decode(&digits).ok_or(BadPin)?;
        bytes.try_into().map(Self).map_err(|_| BadPin)
    }
}

impl fmt::Debug for ServerPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerPin({self})")
    }
}

impl fmt::Display for ServerPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl ServerPin {
    /// The pin of a DER SubjectPublicKeyInfo.
    pub fn of_public_key(spki_der: &[u8]) -> Self {
        let hash = digest::digest(&digest::SHA256, spki_der);
        let mut pin = [0u8; 32];
        pin.copy_from_slice(hash.as_ref());
        Self(pin)
    }
}

/// The TLS setup for the desk link: public CAs, or the pinned key only.
pub fn connector(pin: Option<ServerPin>) -> Connector {
    Connector::Rustls(client_config(pin))
}

/// [`connector`]'s configuration, for the desk's other TLS servers too
/// (its TURN server over TLS).
pub fn client_config(pin: Option<ServerPin>) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let config = match pin {
        Some(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { pin, provider }))
            .with_no_client_auth(),
        None => {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Arc::new(config)
}

/// Accepts exactly the pinned key; the handshake's signatures are still
/// checked, so only the holder of that key's private half gets through.
#[derive(Debug)]
struct Pinned {
    pin: ServerPin,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|e| rustls::Error::General(format!("unreadable certificate: {e}")))?;
        let presented = ServerPin::of_public_key(cert.subject_public_key_info().as_ref());
        if presented == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the desk's key {presented} does not match the verification code"
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_codes_parse_in_the_usual_spellings() {
        let hex = "3f".repeat(32);
        let pin: ServerPin = hex.parse().unwrap();
        assert_eq!(pin.to_string(), hex);
        let colons = vec!["3F"; 32].join(":");
        assert_eq!(colons.parse::<ServerPin>(), Ok(pin));
        for bad in [
            "",
            "3f",
            &"3f".repeat(33),
            &"zz".repeat(32),
            &format!("{}é", "3f".repeat(31)),
        ] {
            assert_eq!(bad.parse::<ServerPin>(), Err(BadPin), "{bad:?}");
        }
    }
}
