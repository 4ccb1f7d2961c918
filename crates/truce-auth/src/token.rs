//! Opaque tokens for sessions and API access, and the hash the store keeps instead of them.
//!
//! # Design
//!
//! A token is [`PREFIX`] followed by 32 random bytes (256 bits, from the operating system through
//! `ring`) in unpadded URL-safe base64: 49 characters that fit a cookie, an `Authorization: Bearer`
//! header or a URL without escaping, and whose prefix lets a secret scanner or a person recognise a
//! leaked one. The token means nothing by itself: it is looked up. The store keeps only its SHA-256
//! ([`hash_token`]), so reading the database does not give anyone a working token; a hash suffices
//! (no salt, no Argon2) because the token has 256 bits of entropy and cannot be guessed. [`parse`]
//! turns away text that cannot be a token before anything is looked up.

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

/// The start of every token.
pub const PREFIX: &str = "truce_";

/// Random bytes in a token.
pub const RANDOM_BYTES: usize = 32;

/// Characters after the prefix: 32 bytes in unpadded base64.
const ENCODED_LEN: usize = (RANDOM_BYTES * 4).div_ceil(3);

// The issue asks for at least 128 random bits; keep that true whatever RANDOM_BYTES becomes.
const _: () = assert!(RANDOM_BYTES * 8 >= 128);

/// The length of a token in characters.
pub const TOKEN_LEN: usize = PREFIX.len() + ENCODED_LEN;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system's random number generator failed")]
pub struct RandomError;

/// Unpadded URL-safe base64 (RFC 4648 section 5).
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 4).div_ceil(3));
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // One more character than the chunk has bytes: 1 byte -> 2 characters, 2 -> 3, 3 -> 4.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize]));
        }
    }
    out
}

/// A new token and the SHA-256 of its text (what the store keeps).
///
/// # Errors
/// When the operating system's random number generator fails.
pub fn new_token() -> Result<(String, [u8; 32]), RandomError> {
    let mut random = [0u8; RANDOM_BYTES];
    SystemRandom::new().fill(&mut random).map_err(|_| RandomError)?;
    let token = format!("{PREFIX}{}", base64url(&random));
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// The SHA-256 of a token's text.
pub fn hash_token(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

/// The hash of `token` if it has the form of a token ([`PREFIX`], then 43 URL-safe base64
/// characters), else `None`: a header or cookie of the wrong shape is refused without a look-up.
pub fn parse(token: &str) -> Option<[u8; 32]> {
    let rest = token.strip_prefix(PREFIX)?;
    (rest.len() == ENCODED_LEN && rest.bytes().all(|b| ALPHABET.contains(&b))).then(|| hash_token(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        // RFC 4648 section 10, unpadded; then bytes that use the URL-safe characters.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base64url(&[0xfb, 0xff, 0xbf]), "-_-_");
    }

    #[test]
    fn a_token_has_256_random_bits_a_prefix_and_only_url_safe_characters() {
        let (token, hash) = new_token().expect("a token");
        assert!(token.starts_with("truce_"), "{token}");
        assert_eq!(token.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 6 + 43);
        assert!(token[PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        assert_eq!(hash, hash_token(&token));
        assert_eq!(parse(&token), Some(hash));
    }

    #[test]
    fn tokens_differ() {
        let tokens: std::collections::HashSet<String> = (0..1000).map(|_| new_token().expect("a token").0).collect();
        assert_eq!(tokens.len(), 1000);
        // Every one of the first 42 characters (252 bits) varies across the tokens like random
        // base64 does (the 43rd carries the last 4 bits and 2 zero bits): far more than 128 bits.
        for i in 0..42 {
            let seen: std::collections::HashSet<u8> = tokens.iter().map(|t| t.as_bytes()[PREFIX.len() + i]).collect();
            assert!(seen.len() >= 48, "character {i} took only {} values", seen.len());
        }
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_text() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let h = hash_token("abc");
        assert_eq!(h[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(h[28..], [0xf2, 0x00, 0x15, 0xad]);
    }

    #[test]
    fn text_of_the_wrong_shape_is_not_a_token() {
        let (token, _) = new_token().expect("a token");
        assert_eq!(parse(""), None);
        assert_eq!(parse(&token[PREFIX.len()..]), None, "no prefix");
        assert_eq!(parse(&token[..token.len() - 1]), None, "too short");
        assert_eq!(parse(&format!("{token}A")), None, "too long");
        assert_eq!(parse(&format!("{}+{}", &token[..10], &token[11..])), None, "not URL-safe");
        assert_eq!(parse(&format!("Bearer {token}")), None);
    }
}
