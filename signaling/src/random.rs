//! The server's one source of secrets: `ring`'s system CSPRNG.

use ring::rand::SystemRandom;

/// `N` random bytes. The OS CSPRNG only fails when the platform has none at
/// all, in which case the server cannot issue safe IDs or tokens and must
/// not pretend to.
pub fn bytes<const N: usize>() -> [u8; N] {
    ring::rand::generate::<[u8; N]>(&SystemRandom::new())
        .expect("the system CSPRNG works")
        .expose()
}

/// `N` random bytes as `2N` lowercase hex digits.
pub fn hex<const N: usize>() -> String {
    hex::encode(bytes::<N>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_and_distinct() {
        let a = super::hex::<32>();
        assert_eq!(a.len(), 64);
        assert_ne!(a, super::hex::<32>());
    }
}
