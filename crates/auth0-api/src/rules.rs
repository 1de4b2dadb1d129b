//! The rules an access token's header and claims must follow (RFC 9068 §4, RFC 7519 §4.1), in one
//! place: `typ`, required claims, `iss`, `aud`, `exp` and `nbf`.

use std::time::Duration;

use crate::claims::{Claims, VerifierId};
use crate::config::{ConfigError, ConfigErrorKind};
use crate::error::{Error, ErrorKind};
use crate::issuer::Audience;
use crate::payload::{MAX_WATCHED, Payload, Watched};
use crate::time::UnixTime;

/// Claims every access token must carry.
const DEFAULT_REQUIRED: [&str; 4] = ["iss", "aud", "exp", "iat"];
/// The largest `exp`/`nbf` leeway accepted.
const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// `typ` values an access token may have (RFC 9068 §2.1; plain JWTs say `JWT`).
const ACCESS_TOKEN_TYPES: [&str; 3] = ["JWT", "at+jwt", "application/at+jwt"];

/// The builder's view of the token rules.
#[derive(Debug, Default)]
pub(crate) struct RuleOptions {
    pub(crate) audiences: Vec<String>,
    pub(crate) required_claims: Vec<String>,
    pub(crate) leeway: Duration,
}

impl RuleOptions {
    pub(crate) fn build(self) -> Result<TokenRules, ConfigError> {
        if self.audiences.is_empty() {
            return Err(ConfigError::new(
                "audience",
                ConfigErrorKind::Missing,
                "at least one audience is required",
            ));
        }
        let audiences = self
            .audiences
            .iter()
            .map(Audience::new)
            .collect::<Result<Vec<_>, _>>()?;
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::new(
                "leeway",
                ConfigErrorKind::OutOfRange,
                "at most 300 seconds",
            )
            .with_value(format_args!("{} s", self.leeway.as_secs())));
        }
        let mut required_claims: Vec<Box<str>> =
            DEFAULT_REQUIRED.iter().map(|c| Box::from(*c)).collect();
        for c in &self.required_claims {
            if c.is_empty() {
                return Err(ConfigError::new(
                    "required_claims",
                    ConfigErrorKind::Empty,
                    "claim names must not be empty",
                ));
            }
            if !required_claims.iter().any(|r| **r == **c) {
                required_claims.push(c.as_str().into());
            }
        }
        Ok(TokenRules {
            audiences,
            watched: Watched::new(&required_claims),
            required_claims,
            leeway_secs: self.leeway.as_secs(),
        })
    }
}

/// The checks on a token's header and claims once its signature is verified.
#[derive(Debug)]
pub(crate) struct TokenRules {
    audiences: Vec<Audience>,
    required_claims: Vec<Box<str>>,
    /// The required claims, as the payload read looks for them.
    watched: Watched,
    leeway_secs: u64,
}

impl TokenRules {
    /// `typ` absent, `JWT`, `at+jwt` or `application/at+jwt` (case-insensitive); a
    /// `dpop+jwt` or anything else is not an access token.
    pub(crate) fn check_typ(typ: Option<&str>) -> Result<(), Error> {
        match typ {
            Some(t) if !ACCESS_TOKEN_TYPES.iter().any(|a| a.eq_ignore_ascii_case(t)) => {
                Err(ErrorKind::InvalidTokenType.into())
            }
            _ => Ok(()),
        }
    }

    /// The names whose presence [`payload::parse`](crate::payload::parse) reports: the
    /// required claims, in order.
    pub(crate) fn watched(&self) -> &Watched {
        &self.watched
    }

    /// Required claims, `iss` equal to `issuer` (discovery's canonical value), `aud`, then
    /// `exp`/`nbf` against `now`: the claims of a token whose signature verified. The
    /// payload must have been read with [`TokenRules::watched`].
    pub(crate) fn claims(
        &self,
        payload: Payload,
        issuer: &str,
        now: UnixTime,
        verifier: VerifierId,
    ) -> Result<Claims, Error> {
        let present = payload.registered.present;
        let mut late_map = None;
        for (i, name) in self.required_claims.iter().enumerate() {
            let is_present = if i < MAX_WATCHED {
                present & (1 << i) != 0
            } else {
                // Beyond what one pass reports: look in the parsed map.
                let map = late_map.get_or_insert_with(|| {
                    crate::jose::parse_object(payload.text.as_bytes()).unwrap_or_default()
                });
                map.get(&**name).is_some_and(|v| !v.is_null())
            };
            if !is_present {
                let detail = match &**name {
                    "iss" => "iss",
                    "aud" => "aud",
                    "exp" => "exp",
                    "iat" => "iat",
                    _ => "configured required claim",
                };
                return Err(Error::new(ErrorKind::MissingClaim).with_detail(detail));
            }
        }
        if payload.iss() != Some(issuer) {
            return Err(ErrorKind::InvalidIssuer.into());
        }
        // `aud` is present (it is always required): a string, or an array with a string,
        // naming an accepted audience.
        let aud_ok = payload
            .registered
            .aud
            .iter(&payload.text)
            .any(|a| self.audiences.iter().any(|x| x.as_str() == a));
        if !aud_ok {
            return Err(ErrorKind::InvalidAudience.into());
        }
        let claims = Claims::from_payload(payload, verifier)?;
        self.check_times(&claims, now)?;
        Ok(claims)
    }

    /// `exp` (required) and `nbf` (when present) against `now`, with the leeway; run again
    /// on every cache hit.
    pub(crate) fn check_times(&self, claims: &Claims, now: UnixTime) -> Result<(), Error> {
        let now = now.as_secs();
        let leeway = self.leeway_secs;
        if now >= claims.exp().saturating_add(leeway) {
            return Err(ErrorKind::Expired.into());
        }
        if let Some(nbf) = claims.nbf() {
            if nbf > now.saturating_add(leeway) {
                return Err(ErrorKind::NotYetValid.into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn rules(leeway: u64) -> TokenRules {
        RuleOptions {
            audiences: vec!["api".into(), "other".into()],
            required_claims: vec!["sub".into()],
            leeway: Duration::from_secs(leeway),
        }
        .build()
        .expect("rules")
    }

    fn check(r: &TokenRules, v: Value, now: u64) -> Result<(), ErrorKind> {
        let text = serde_json::to_vec(&v).expect("json");
        let payload = crate::payload::parse(text, r.watched()).expect("an object");
        r.claims(
            payload,
            "https://i/",
            UnixTime::from_secs(now),
            VerifierId::NONE,
        )
        .map(|_| ())
        .map_err(|e| e.kind())
    }

    #[test]
    fn the_claim_rules() {
        let r = rules(0);
        let ok = json!({"iss":"https://i/","aud":["x","api"],"exp":100,"iat":1,"sub":"u"});
        assert_eq!(check(&r, ok.clone(), 99), Ok(()));
        assert_eq!(
            check(&r, ok.clone(), 100),
            Err(ErrorKind::Expired),
            "exactly at exp"
        );
        let mut m = ok.clone();
        m["iss"] = json!("https://i");
        assert_eq!(
            check(&r, m, 1),
            Err(ErrorKind::InvalidIssuer),
            "trailing slash"
        );
        let mut m = ok.clone();
        m["aud"] = json!("nope");
        assert_eq!(check(&r, m, 1), Err(ErrorKind::InvalidAudience));
        let mut m = ok.clone();
        m["aud"] = json!(7);
        assert_eq!(check(&r, m, 1), Err(ErrorKind::InvalidAudience));
        for missing in ["iss", "aud", "exp", "iat", "sub"] {
            let mut m = ok.clone();
            m.as_object_mut().map(|o| o.remove(missing));
            assert_eq!(check(&r, m, 1), Err(ErrorKind::MissingClaim), "{missing}");
        }
        let mut m = ok.clone();
        m["nbf"] = json!(50);
        assert_eq!(check(&r, m.clone(), 49), Err(ErrorKind::NotYetValid));
        assert_eq!(check(&rules(5), m, 45), Ok(()), "nbf with leeway");
        assert_eq!(check(&rules(5), ok, 104), Ok(()), "exp with leeway");
    }

    #[test]
    fn required_claims_beyond_what_one_pass_reports_are_still_checked() {
        let names: Vec<String> = (0..70).map(|i| format!("c{i}")).collect();
        let r = RuleOptions {
            audiences: vec!["api".into()],
            required_claims: names.clone(),
            leeway: Duration::ZERO,
        }
        .build()
        .expect("rules");
        let mut ok = json!({"iss":"https://i/","aud":"api","exp":100,"iat":1});
        for n in &names {
            ok[n] = json!(1);
        }
        assert_eq!(check(&r, ok.clone(), 1), Ok(()));
        for gone in ["c3", "c60", "c63", "c64", "c69"] {
            let mut m = ok.clone();
            m[gone] = Value::Null;
            assert_eq!(check(&r, m, 1), Err(ErrorKind::MissingClaim), "{gone} null");
            let mut m = ok.clone();
            m.as_object_mut().map(|o| o.remove(gone));
            assert_eq!(
                check(&r, m, 1),
                Err(ErrorKind::MissingClaim),
                "{gone} absent"
            );
        }
    }

    #[test]
    fn typ_rule() {
        for ok in [
            None,
            Some("JWT"),
            Some("at+JWT"),
            Some("application/at+jwt"),
        ] {
            assert!(TokenRules::check_typ(ok).is_ok(), "{ok:?}");
        }
        for bad in ["dpop+jwt", "", "jwt+at", "JOSE"] {
            assert!(TokenRules::check_typ(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_are_checked() {
        let field = |o: RuleOptions| o.build().err().map(|e| (e.field(), e.kind()));
        assert_eq!(
            field(RuleOptions::default()),
            Some(("audience", ConfigErrorKind::Missing))
        );
        let base = || RuleOptions {
            audiences: vec!["api".into()],
            ..Default::default()
        };
        assert_eq!(
            field(RuleOptions {
                audiences: vec![" ".into()],
                ..Default::default()
            }),
            Some(("audience", ConfigErrorKind::Empty))
        );
        assert_eq!(
            field(RuleOptions {
                leeway: Duration::from_secs(301),
                ..base()
            }),
            Some(("leeway", ConfigErrorKind::OutOfRange))
        );
        assert_eq!(
            field(RuleOptions {
                required_claims: vec![String::new()],
                ..base()
            }),
            Some(("required_claims", ConfigErrorKind::Empty))
        );
    }
}
