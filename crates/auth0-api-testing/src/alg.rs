//! The key families behind the core's [`Algorithm`]s, for the keys the test issuer makes.

pub(crate) use auth0_api::Algorithm;

/// What the test issuer needs to know about an [`Algorithm`] to make and use keys for it.
pub(crate) trait AlgExt {
    /// Which kind of key it needs.
    fn family(self) -> Family;
    /// The JWK `kty` of its keys: `RSA`, `EC` or `OKP`.
    fn kty(self) -> &'static str;
}

impl AlgExt for Algorithm {
    fn family(self) -> Family {
        match self {
            Algorithm::ES256 => Family::Ec(Curve::P256),
            Algorithm::ES384 => Family::Ec(Curve::P384),
            Algorithm::ES512 => Family::Ec(Curve::P521),
            Algorithm::EdDSA | Algorithm::Ed25519 => Family::Ed25519,
            // RS*, PS*, and anything newer is signed with an RSA key.
            _ => Family::Rsa,
        }
    }

    fn kty(self) -> &'static str {
        match self.family() {
            Family::Rsa => "RSA",
            Family::Ec(_) => "EC",
            Family::Ed25519 => "OKP",
        }
    }
}

/// Which kind of key an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Rsa,
    Ec(Curve),
    Ed25519,
}

/// A NIST curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub(crate) fn crv(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_types() {
        assert_eq!(Algorithm::PS384.kty(), "RSA");
        assert_eq!(Algorithm::ES512.kty(), "EC");
        assert_eq!(Algorithm::EdDSA.kty(), "OKP");
        assert_eq!(Algorithm::Ed25519.family(), Family::Ed25519);
        assert_eq!(Algorithm::ES512.family(), Family::Ec(Curve::P521));
    }
}
