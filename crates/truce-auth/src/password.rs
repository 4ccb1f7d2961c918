//! Passwords: the rules a new password must meet, and Argon2id hashing to PHC strings.
//!
//! # Design
//!
//! Hashes are Argon2id with the OWASP minimum that fits a small server: 19 MiB of memory, two passes,
//! one lane, a 16-byte random salt from the operating system (through `ring`), and a 32-byte output,
//! written as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). The string carries its
//! own parameters, so [`verify`] checks a hash made with other parameters (older or stronger) as it
//! was made.
//!
//! A login for a user that does not exist must cost what a wrong password costs, or the time of the
//! answer tells which names exist. [`DUMMY_PHC`] is a hash with the same parameters as [`hash`]
//! whose password nobody knows; the login verifies against it when there is no user.
//!
//! The rules ([`check`]) apply to new passwords only: at least [`MIN_CHARS`] characters, at most
//! [`MAX_BYTES`] bytes (so a hash costs what it should), no control characters (they are invisible,
//! and a newline cannot be typed into the one-line prompt that `--password-stdin` reads). There is no
//! composition rule: length is what makes a password strong.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use ring::rand::{SecureRandom, SystemRandom};

/// The fewest characters (Unicode scalar values) a new password may have.
pub const MIN_CHARS: usize = 12;

/// The most bytes (UTF-8) a password may have.
pub const MAX_BYTES: usize = 1024;

/// Argon2 memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19_456;

/// Argon2 passes over the memory.
pub const PASSES: u32 = 2;

/// Argon2 lanes.
pub const LANES: u32 = 1;

/// Bytes of random salt per hash.
pub const SALT_BYTES: usize = 16;

/// The start of every PHC string [`hash`] makes: algorithm, version and parameters.
pub const PHC_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// A hash with the parameters of [`hash`] whose password nobody knows (it was random and thrown
/// away): verified against when a login names no user, so that the answer takes as long as for a
/// wrong password.
pub const DUMMY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$NM8kSDesATTUGcHQlLFaMQ$oACL2MddaqwfD7Hrx7E7QRFrM3UNy5mn84BuQ3Y80fQ";

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("a password needs at least {MIN_CHARS} characters (this one has {chars})")]
    TooShort {
        /// The characters it has.
        chars: usize,
    },
    /// More than [`MAX_BYTES`] bytes.
    #[error("a password has at most {MAX_BYTES} bytes (this one has {bytes})")]
    TooLong {
        /// The bytes it has.
        bytes: usize,
    },
    /// A control character (a tab, a newline, an escape, ...).
    #[error("a password cannot contain control characters (character {position} is {character:?})")]
    ControlCharacter {
        /// Its position, counting characters from 1.
        position: usize,
        /// The character.
        character: char,
    },
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The operating system's random number generator failed.
    #[error("the system's random number generator failed")]
    Random,
    /// Argon2 refused its input.
    #[error("argon2: {0}")]
    Argon2(String),
}

/// Checks a new password against the rules (see the module documentation).
///
/// # Errors
/// The first rule it breaks.
pub fn check(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong { bytes: password.len() });
    }
    if let Some((i, c)) = password.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(PasswordError::ControlCharacter { position: i + 1, character: c });
    }
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort { chars });
    }
    Ok(())
}

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(32)).map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with Argon2id and a fresh random salt; returns the PHC string, which starts
/// with [`PHC_PREFIX`]. Does not apply the rules: call [`check`] first for a new password.
///
/// # Errors
/// When the random number generator fails or Argon2 refuses the input (neither happens in practice).
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; SALT_BYTES];
    SystemRandom::new().fill(&mut salt).map_err(|_| HashError::Random)?;
    let phc =
        hasher()?.hash_password_with_salt(password.as_bytes(), &salt).map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(phc.to_string())
}

/// Whether `password` is the one `phc` was made from. False as well when `phc` is not a PHC string
/// Argon2 understands. The comparison is constant-time.
pub fn verify(password: &str, phc: &str) -> bool {
    // The parameters come from the PHC string; the hasher's own are not used.
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_with_the_chosen_parameters_and_a_16_byte_salt() {
        let phc = hash("correct horse battery").expect("a hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let fields: Vec<&str> = phc.split('$').collect();
        // "", "argon2id", "v=19", params, salt, hash: the salt and hash are unpadded base64.
        assert_eq!(fields.len(), 6, "{phc}");
        assert_eq!(fields[4].len(), 22, "16 bytes of salt: {phc}");
        assert_eq!(fields[5].len(), 43, "32 bytes of hash: {phc}");
        assert!(verify("correct horse battery", &phc));
    }

    #[test]
    fn a_wrong_password_fails() {
        let phc = hash("correct horse battery").expect("a hash");
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("", &phc));
    }

    #[test]
    fn the_same_password_gets_a_new_salt_each_time() {
        let a = hash("correct horse battery").expect("a hash");
        let b = hash("correct horse battery").expect("a hash");
        assert_ne!(a, b);
        assert!(verify("correct horse battery", &a) && verify("correct horse battery", &b));
    }

    #[test]
    fn the_dummy_costs_what_a_real_hash_costs_and_matches_nothing() {
        assert!(DUMMY_PHC.starts_with(PHC_PREFIX), "same parameters as hash()");
        let real = hash("x".repeat(12).as_str()).expect("a hash");
        assert_eq!(DUMMY_PHC.len(), real.len(), "same salt and output lengths");
        for guess in ["", "password", "correct horse battery", "truce-dummy"] {
            assert!(!verify(guess, DUMMY_PHC));
        }
    }

    #[test]
    fn something_that_is_not_a_phc_string_verifies_nothing() {
        assert!(!verify("anything at all", ""));
        assert!(!verify("anything at all", "$argon2id$broken"));
        assert!(!verify("anything at all", "plain text"));
    }

    #[test]
    fn the_rules_name_what_is_wrong() {
        assert_eq!(check("short"), Err(PasswordError::TooShort { chars: 5 }));
        // Twelve characters that take more than twelve bytes are enough.
        assert_eq!(check("ééééééééééé"), Err(PasswordError::TooShort { chars: 11 }));
        assert_eq!(check("éééééééééééé"), Ok(()));
        assert_eq!(check(&"a".repeat(MAX_BYTES)), Ok(()));
        assert_eq!(check(&"a".repeat(MAX_BYTES + 1)), Err(PasswordError::TooLong { bytes: MAX_BYTES + 1 }));
        assert_eq!(
            check("long enough\tbut tabbed"),
            Err(PasswordError::ControlCharacter { position: 12, character: '\t' })
        );
        assert_eq!(check("a passphrase with spaces"), Ok(()));
        let err = check("short").expect_err("too short").to_string();
        assert!(err.contains("at least 12 characters") && err.contains('5'), "{err}");
    }
}
