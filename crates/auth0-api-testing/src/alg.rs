//! JWS signature algorithms the test issuer can sign with.

use std::fmt;

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037 §3.1).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// EdDSA on Ed25519.
    EdDSA,
}

impl Alg {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Alg; 10] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ];

    /// The JOSE `alg` name, e.g. `"RS256"` or `"EdDSA"`.
    pub fn name(&self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name` (`"Ed25519"` is accepted for [`Alg::EdDSA`]).
    pub fn from_name(name: &str) -> Option<Alg> {
        match name {
            "Ed25519" => Some(Alg::EdDSA),
            _ => Alg::ALL.into_iter().find(|a| a.name() == name),
        }
    }

    /// The JWK `kty` of keys for this algorithm: `RSA`, `EC` or `OKP`.
    pub fn kty(&self) -> &'static str {
        match self.family() {
            Family::Rsa => "RSA",
            Family::Ec(_) => "EC",
            Family::Ed25519 => "OKP",
        }
    }

    pub(crate) fn family(&self) -> Family {
        match self {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                Family::Rsa
            }
            Alg::ES256 => Family::Ec(Curve::P256),
            Alg::ES384 => Family::Ec(Curve::P384),
            Alg::ES512 => Family::Ec(Curve::P521),
            Alg::EdDSA => Family::Ed25519,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
    fn names_round_trip() {
        for alg in Alg::ALL {
            assert_eq!(Alg::from_name(alg.name()), Some(alg));
            assert_eq!(alg.to_string(), alg.name());
        }
        assert_eq!(Alg::EdDSA.name(), "EdDSA");
        assert_eq!(Alg::from_name("Ed25519"), Some(Alg::EdDSA));
        assert_eq!(Alg::from_name("HS256"), None);
        assert_eq!(Alg::from_name("none"), None);
    }

    #[test]
    fn key_types() {
        assert_eq!(Alg::PS384.kty(), "RSA");
        assert_eq!(Alg::ES512.kty(), "EC");
        assert_eq!(Alg::EdDSA.kty(), "OKP");
        assert_eq!(Alg::ES512.family(), Family::Ec(Curve::P521));
    }
}
