//! RFC 7638 JWK thumbprints.

use serde_json::Value;

use crate::b64;

/// The RFC 7638 thumbprint of `jwk`: base64url(SHA-256) of the required members in
/// lexicographic order, without whitespace.
///
/// Required members: EC `crv`, `kty`, `x`, `y`; RSA `e`, `kty`, `n`; OKP `crv`, `kty`, `x`;
/// oct `k`, `kty`. Returns `None` for another `kty` or a missing or non-string member.
///
/// ```
/// use auth0_api_testing::jwk_thumbprint;
/// let jwk = serde_json::json!({
///     "kty": "EC", "crv": "P-256",
///     "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
///     "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
///     "use": "sig", "kid": "ignored",
/// });
/// assert_eq!(
///     jwk_thumbprint(&jwk).as_deref(),
///     Some("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"),
/// );
/// ```
pub fn jwk_thumbprint(jwk: &Value) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        "oct" => &["k", "kty"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = jwk.get(*name)?.as_str()?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push_str(&Value::from(*name).to_string());
        canonical.push(':');
        canonical.push_str(&Value::from(value).to_string());
    }
    canonical.push('}');
    Some(b64::sha256(canonical))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7638_section_3_1_rsa_example() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn ec_example() {
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
            "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
        });
        assert_eq!(
            jwk_thumbprint(&jwk).as_deref(),
            Some("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s")
        );
    }

    #[test]
    fn okp_uses_crv_kty_x() {
        // RFC 8037 §A.3.
        let jwk = json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        });
        assert_eq!(
            jwk_thumbprint(&jwk).as_deref(),
            Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        );
    }

    #[test]
    fn rejects_unknown_kty_and_missing_or_non_string_members() {
        assert_eq!(jwk_thumbprint(&json!({"kty": "XYZ", "x": "a"})), None);
        assert_eq!(
            jwk_thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": "a"})),
            None
        );
        assert_eq!(
            jwk_thumbprint(&json!({"kty": "RSA", "n": "a", "e": 65537})),
            None
        );
        assert_eq!(jwk_thumbprint(&json!({"n": "a", "e": "AQAB"})), None);
        assert_eq!(jwk_thumbprint(&json!("RSA")), None);
    }

    #[test]
    fn extra_members_do_not_change_the_thumbprint() {
        let base = json!({"kty": "OKP", "crv": "Ed25519", "x": "abc"});
        let extended =
            json!({"kty": "OKP", "crv": "Ed25519", "x": "abc", "d": "secret", "kid": "k"});
        assert_eq!(jwk_thumbprint(&base), jwk_thumbprint(&extended));
    }
}
