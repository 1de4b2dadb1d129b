//! The three token requests: their inputs, the checks made before any network call, and
//! the form fields they send.

use std::fmt;

use super::error::{ExchangeError, ExchangeErrorKind};
use super::secret::Secret;

/// The RFC 8693 token-exchange grant type.
pub const TOKEN_EXCHANGE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The RFC 8693 token type of an OAuth 2.0 access token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Auth0's Token Vault grant type.
pub(crate) const FEDERATED_CONNECTION_GRANT_TYPE: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";

/// Auth0's Token Vault requested token type.
pub(crate) const FEDERATED_CONNECTION_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";

/// Most values one extra parameter may carry.
pub const MAX_EXTRA_VALUES: usize = 20;

/// Parameter names an [`ExchangeProfileRequest`] sets itself or that would change the
/// meaning of the request; refused as extra parameters whatever their case.
pub const RESERVED_PARAMETERS: [&str; 21] = [
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "actor_token",
    "actor_token_type",
    "subject_issuer",
    "audience",
    "aud",
    "resource",
    "resources",
    "resource_indicator",
    "scope",
    "connection",
    "login_hint",
    "organization",
    "assertion",
];

/// Form fields of a token request, in the order they are sent. Borrowed from the request.
pub(crate) type Fields<'a> = Vec<(&'a str, &'a str)>;

/// Checks a token sent as `subject_token`: present, not blank, no surrounding whitespace,
/// no `Bearer ` prefix (any case).
fn check_subject_token(argument: &'static str, token: &str) -> Result<(), ExchangeError> {
    let invalid = |reason| {
        ExchangeError::new(ExchangeErrorKind::InvalidSubjectToken)
            .with_argument(argument)
            .with_reason(reason)
    };
    if token.trim().is_empty() {
        return Err(invalid("must not be blank"));
    }
    if token.trim() != token {
        return Err(invalid("must not include leading or trailing whitespace"));
    }
    if token
        .as_bytes()
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"bearer "))
    {
        return Err(invalid("must not include the Bearer prefix"));
    }
    Ok(())
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// A Token Vault request (Auth0's federated connection access token exchange): the API
/// trades the access token it received for the access token of the user's account at an
/// external identity provider (`connection`, e.g. `google-oauth2`).
///
/// See [`TokenExchange::get_access_token_for_connection`](crate::TokenExchange::get_access_token_for_connection).
#[derive(Clone)]
pub struct ConnectionTokenRequest {
    connection: String,
    access_token: Secret,
    login_hint: Option<String>,
}

impl fmt::Debug for ConnectionTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionTokenRequest")
            .field("connection", &self.connection)
            .field("access_token", &self.access_token)
            .finish_non_exhaustive()
    }
}

impl ConnectionTokenRequest {
    /// A request for the `connection`'s access token, on behalf of the user of
    /// `access_token` (the raw token, without a `Bearer ` prefix).
    pub fn new(connection: impl Into<String>, access_token: impl Into<String>) -> Self {
        Self {
            connection: connection.into(),
            access_token: Secret::new(access_token),
            login_hint: None,
        }
    }

    /// Which of the user's accounts at the connection to use, when there are several.
    #[must_use]
    pub fn login_hint(mut self, login_hint: impl Into<String>) -> Self {
        self.login_hint = Some(login_hint.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ExchangeError> {
        if self.connection.is_empty() {
            return Err(ExchangeError::missing("connection"));
        }
        if self.access_token.expose().is_empty() {
            return Err(ExchangeError::missing("access_token"));
        }
        check_subject_token("access_token", self.access_token.expose())
    }

    pub(crate) fn fields(&self) -> Fields<'_> {
        let mut f = vec![
            ("grant_type", FEDERATED_CONNECTION_GRANT_TYPE),
            ("subject_token", self.access_token.expose()),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("requested_token_type", FEDERATED_CONNECTION_TOKEN_TYPE),
            ("connection", self.connection.as_str()),
        ];
        if let Some(hint) = non_empty(&self.login_hint) {
            f.push(("login_hint", hint));
        }
        f
    }
}

/// An RFC 8693 token exchange through an Auth0 Custom Token Exchange profile (or any
/// issuer's token-exchange grant): a `subject_token` of `subject_token_type` is traded
/// for a token for `audience`.
///
/// See [`TokenExchange::get_token_by_exchange_profile`](crate::TokenExchange::get_token_by_exchange_profile).
#[derive(Clone)]
pub struct ExchangeProfileRequest {
    subject_token: Secret,
    subject_token_type: String,
    audience: Option<String>,
    scope: Option<String>,
    requested_token_type: Option<String>,
    extra: Vec<(String, Vec<String>)>,
}

impl fmt::Debug for ExchangeProfileRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeProfileRequest")
            .field("subject_token", &self.subject_token)
            .field("subject_token_type", &self.subject_token_type)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("requested_token_type", &self.requested_token_type)
            .field(
                "extra",
                &self.extra.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ExchangeProfileRequest {
    /// Exchanges `subject_token` (raw, without a `Bearer ` prefix or surrounding
    /// whitespace), whose type is the URI `subject_token_type` (e.g.
    /// `urn:ietf:params:oauth:token-type:access_token`, or the type a Custom Token Exchange
    /// profile defines).
    pub fn new(subject_token: impl Into<String>, subject_token_type: impl Into<String>) -> Self {
        Self {
            subject_token: Secret::new(subject_token),
            subject_token_type: subject_token_type.into(),
            audience: None,
            scope: None,
            requested_token_type: None,
            extra: Vec::new(),
        }
    }

    /// The API the new token is for (`audience`). Empty means unset.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The space-delimited scopes requested (`scope`). Empty means unset.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The token type wanted (`requested_token_type`). Empty means unset.
    #[must_use]
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// Adds a value to the extra parameter `name`; calling it again with the same name sends
    /// the parameter repeatedly (`name=a&name=b`). Names in [`RESERVED_PARAMETERS`] (any
    /// case) and more than [`MAX_EXTRA_VALUES`] values per name are refused when the
    /// exchange runs.
    #[must_use]
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push_extra(name.into(), std::iter::once(value.into()));
        self
    }

    /// Adds several values to the extra parameter `name` (see [`ExchangeProfileRequest::extra`]).
    #[must_use]
    pub fn extra_values<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.push_extra(name.into(), values.into_iter().map(Into::into));
        self
    }

    fn push_extra(&mut self, name: String, values: impl Iterator<Item = String>) {
        match self.extra.iter_mut().find(|(k, _)| *k == name) {
            Some((_, existing)) => existing.extend(values),
            None => self.extra.push((name, values.collect())),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ExchangeError> {
        if self.subject_token.expose().is_empty() {
            return Err(ExchangeError::missing("subject_token"));
        }
        if self.subject_token_type.is_empty() {
            return Err(ExchangeError::missing("subject_token_type"));
        }
        check_subject_token("subject_token", self.subject_token.expose())?;
        for (name, values) in &self.extra {
            if name.is_empty() {
                return Err(ExchangeError::new(ExchangeErrorKind::InvalidParameter)
                    .with_reason("parameter names must not be empty"));
            }
            if RESERVED_PARAMETERS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name))
            {
                return Err(ExchangeError::new(ExchangeErrorKind::ReservedParameter)
                    .with_argument(name.clone())
                    .with_reason("reserved and cannot be overridden"));
            }
            if values.len() > MAX_EXTRA_VALUES {
                return Err(ExchangeError::new(ExchangeErrorKind::InvalidParameter)
                    .with_argument(name.clone())
                    .with_reason("more than 20 values"));
            }
        }
        Ok(())
    }

    pub(crate) fn fields(&self) -> Fields<'_> {
        let mut f = vec![
            ("grant_type", TOKEN_EXCHANGE_GRANT_TYPE),
            ("subject_token", self.subject_token.expose()),
            ("subject_token_type", self.subject_token_type.as_str()),
        ];
        if let Some(a) = non_empty(&self.audience) {
            f.push(("audience", a));
        }
        if let Some(s) = non_empty(&self.scope) {
            f.push(("scope", s));
        }
        if let Some(t) = non_empty(&self.requested_token_type) {
            f.push(("requested_token_type", t));
        }
        for (name, values) in &self.extra {
            for v in values {
                f.push((name.as_str(), v.as_str()));
            }
        }
        f
    }
}

/// An On-Behalf-Of exchange (RFC 8693): the API trades the access token it received for an
/// access token for another API (`audience`), for the same user.
///
/// See [`TokenExchange::get_token_on_behalf_of`](crate::TokenExchange::get_token_on_behalf_of).
#[derive(Clone)]
pub struct OnBehalfOfRequest {
    access_token: Secret,
    audience: String,
    scope: Option<String>,
}

impl fmt::Debug for OnBehalfOfRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnBehalfOfRequest")
            .field("access_token", &self.access_token)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .finish()
    }
}

impl OnBehalfOfRequest {
    /// Exchanges `access_token` (raw, without a `Bearer ` prefix) for a token for `audience`.
    pub fn new(access_token: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            access_token: Secret::new(access_token),
            audience: audience.into(),
            scope: None,
        }
    }

    /// The space-delimited scopes requested. Empty means unset.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ExchangeError> {
        if self.audience.is_empty() {
            return Err(ExchangeError::missing("audience"));
        }
        if self.access_token.expose().is_empty() {
            return Err(ExchangeError::missing("access_token"));
        }
        check_subject_token("access_token", self.access_token.expose())
    }

    pub(crate) fn fields(&self) -> Fields<'_> {
        let mut f = vec![
            ("grant_type", TOKEN_EXCHANGE_GRANT_TYPE),
            ("subject_token", self.access_token.expose()),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("audience", self.audience.as_str()),
        ];
        if let Some(s) = non_empty(&self.scope) {
            f.push(("scope", s));
        }
        f.push(("requested_token_type", ACCESS_TOKEN_TYPE));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(r: Result<(), ExchangeError>) -> (ExchangeErrorKind, Option<String>) {
        match r {
            Ok(()) => panic!("accepted"),
            Err(e) => (e.kind(), e.argument().map(str::to_owned)),
        }
    }

    #[test]
    fn subject_token_checks() {
        use ExchangeErrorKind::InvalidSubjectToken as Bad;
        for tok in [
            " ",
            "\t\n",
            " tok",
            "tok ",
            "tok\n",
            "\u{a0}tok",
            "Bearer tok",
            "bearer tok",
            "BEARER tok",
            "bEaReR x",
        ] {
            assert_eq!(kind(check_subject_token("t", tok)).0, Bad, "{tok:?}");
        }
        for tok in [
            "tok",
            "Bearertok",
            "bearer",
            "DPoP.tok",
            "é",
            "béarer x",
            "a b",
        ] {
            assert!(check_subject_token("t", tok).is_ok(), "{tok:?}");
        }
    }

    #[test]
    fn connection_validation_order() {
        use ExchangeErrorKind::*;
        let r = ConnectionTokenRequest::new("", "");
        assert_eq!(
            kind(r.validate()),
            (MissingArgument, Some("connection".into()))
        );
        let r = ConnectionTokenRequest::new("google-oauth2", "");
        assert_eq!(
            kind(r.validate()),
            (MissingArgument, Some("access_token".into()))
        );
        let r = ConnectionTokenRequest::new("google-oauth2", "Bearer abc");
        assert_eq!(
            kind(r.validate()),
            (InvalidSubjectToken, Some("access_token".into()))
        );
        assert!(
            ConnectionTokenRequest::new("google-oauth2", "abc")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn connection_fields() {
        let r = ConnectionTokenRequest::new("google-oauth2", "at");
        assert_eq!(
            r.fields(),
            [
                ("grant_type", FEDERATED_CONNECTION_GRANT_TYPE),
                ("subject_token", "at"),
                ("subject_token_type", ACCESS_TOKEN_TYPE),
                ("requested_token_type", FEDERATED_CONNECTION_TOKEN_TYPE),
                ("connection", "google-oauth2"),
            ]
        );
        let r = r.login_hint("user@example.com");
        assert_eq!(r.fields().last(), Some(&("login_hint", "user@example.com")));
        let r = ConnectionTokenRequest::new("c", "at").login_hint("");
        assert_eq!(r.fields().len(), 5);
    }

    #[test]
    fn profile_validation_order() {
        use ExchangeErrorKind::*;
        let r = ExchangeProfileRequest::new("", "");
        assert_eq!(
            kind(r.validate()),
            (MissingArgument, Some("subject_token".into()))
        );
        let r = ExchangeProfileRequest::new(" ", "");
        assert_eq!(
            kind(r.validate()),
            (MissingArgument, Some("subject_token_type".into()))
        );
        let r = ExchangeProfileRequest::new(" ", "urn:t");
        assert_eq!(
            kind(r.validate()),
            (InvalidSubjectToken, Some("subject_token".into()))
        );
        // The subject token is checked before the extra parameters.
        let r = ExchangeProfileRequest::new("Bearer x", "urn:t").extra("scope", "a");
        assert_eq!(kind(r.validate()).0, InvalidSubjectToken);
    }

    #[test]
    fn every_reserved_name_is_refused_in_any_case() {
        for name in RESERVED_PARAMETERS {
            for variant in [name.to_owned(), name.to_uppercase(), {
                let mut c = name.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            }] {
                let r = ExchangeProfileRequest::new("t", "urn:t").extra(variant.clone(), "v");
                assert_eq!(
                    kind(r.validate()),
                    (ExchangeErrorKind::ReservedParameter, Some(variant.clone())),
                    "{variant}"
                );
            }
        }
        let r = ExchangeProfileRequest::new("t", "urn:t")
            .extra("audiences", "v")
            .extra("scopes", "v");
        assert!(r.validate().is_ok());
    }

    #[test]
    fn extra_value_cap_and_empty_name() {
        let r = ExchangeProfileRequest::new("t", "urn:t")
            .extra_values("k", (0..20).map(|i| i.to_string()));
        assert!(r.validate().is_ok());
        let r = r.extra("k", "one more");
        assert_eq!(
            kind(r.validate()),
            (ExchangeErrorKind::InvalidParameter, Some("k".into()))
        );
        let r = ExchangeProfileRequest::new("t", "urn:t").extra("", "v");
        assert_eq!(kind(r.validate()).0, ExchangeErrorKind::InvalidParameter);
    }

    #[test]
    fn profile_fields_in_order() {
        let r = ExchangeProfileRequest::new("st", "urn:custom")
            .audience("https://api")
            .scope("read write")
            .requested_token_type("urn:rt")
            .extra("tenant", "t1")
            .extra_values("role", ["a", "b"])
            .extra("tenant", "t2");
        assert_eq!(
            r.fields(),
            [
                ("grant_type", TOKEN_EXCHANGE_GRANT_TYPE),
                ("subject_token", "st"),
                ("subject_token_type", "urn:custom"),
                ("audience", "https://api"),
                ("scope", "read write"),
                ("requested_token_type", "urn:rt"),
                ("tenant", "t1"),
                ("tenant", "t2"),
                ("role", "a"),
                ("role", "b"),
            ]
        );
        let r = ExchangeProfileRequest::new("st", "urn:custom")
            .audience("")
            .scope("");
        assert_eq!(r.fields().len(), 3);
    }

    #[test]
    fn on_behalf_of() {
        use ExchangeErrorKind::*;
        assert_eq!(
            kind(OnBehalfOfRequest::new("", "").validate()),
            (MissingArgument, Some("audience".into()))
        );
        assert_eq!(
            kind(OnBehalfOfRequest::new("", "https://b").validate()),
            (MissingArgument, Some("access_token".into()))
        );
        assert_eq!(
            kind(OnBehalfOfRequest::new("bearer x", "https://b").validate()).0,
            InvalidSubjectToken
        );
        let r = OnBehalfOfRequest::new("at", "https://b").scope("read");
        assert!(r.validate().is_ok());
        assert_eq!(
            r.fields(),
            [
                ("grant_type", TOKEN_EXCHANGE_GRANT_TYPE),
                ("subject_token", "at"),
                ("subject_token_type", ACCESS_TOKEN_TYPE),
                ("audience", "https://b"),
                ("scope", "read"),
                ("requested_token_type", ACCESS_TOKEN_TYPE),
            ]
        );
    }

    #[test]
    fn debug_redacts_tokens() {
        let d = format!(
            "{:?}{:?}{:?}",
            ConnectionTokenRequest::new("c", "SECRET1"),
            ExchangeProfileRequest::new("SECRET2", "t"),
            OnBehalfOfRequest::new("SECRET3", "a")
        );
        assert!(!d.contains("SECRET"), "{d}");
    }
}
