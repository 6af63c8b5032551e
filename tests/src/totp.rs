//! TOTP codes (RFC 6238: HMAC-SHA-1, six digits, 30-second steps) as an
//! authenticator app on a phone computes them, written here from the RFC
//! so the tests do not check the desk against its own code.

use ring::hmac;

/// Decodes RFC 4648 base32 (upper case, padding optional).
fn base32(text: &str) -> anyhow::Result<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in text.trim().trim_end_matches('=').bytes() {
        let digit = ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_uppercase())
            .ok_or_else(|| anyhow::anyhow!("not base32: {text:?}"))?;
        value = (value << 5) | digit as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// The 6-digit code for `secret` (base32) at `unix_secs`.
pub fn code(secret: &str, unix_secs: u64) -> anyhow::Result<String> {
    Ok(code_for_key(&base32(secret)?, unix_secs, 6))
}

fn code_for_key(key: &[u8], unix_secs: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let tag = hmac::sign(&key, &(unix_secs / 30).to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[19] & 0x0f);
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_vectors_hold() {
        let key = b"12345678901234567890";
        assert_eq!(code_for_key(key, 59, 8), "94287082");
        assert_eq!(code_for_key(key, 1_111_111_109, 8), "07081804");
        assert_eq!(code_for_key(key, 20_000_000_000, 8), "65353130");
        assert_eq!(base32("GEZDGNBVGY3TQOJQ").unwrap(), b"1234567890");
    }
}
