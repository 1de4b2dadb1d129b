//! base64url without padding, as JOSE uses it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// base64url-encodes `bytes` without padding (RFC 7515 §2).
pub(crate) fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url.
#[cfg(test)]
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// base64url(SHA-256(`bytes`)).
pub(crate) fn sha256(bytes: impl AsRef<[u8]>) -> String {
    encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        bytes.as_ref(),
    ))
}

/// Fresh random bytes, base64url-encoded.
pub(crate) fn random(len: usize) -> String {
    let mut buf = vec![0u8; len];
    // The system RNG failing leaves the buffer zeroed; a test fixture can live with that,
    // and every caller still gets a syntactically valid value.
    let _ = aws_lc_rs::rand::fill(&mut buf);
    encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpadded_url_alphabet() {
        assert_eq!(encode([0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("-_8="), None);
    }

    #[test]
    fn random_values_differ() {
        let a = random(16);
        assert_eq!(a.len(), 22);
        assert_ne!(a, random(16));
    }
}
