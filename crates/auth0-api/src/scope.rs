//! Scope and permission requirements (403 `insufficient_scope` when unmet).

use std::sync::Arc;

use crate::claims::Claims;
use crate::error::Error;

/// Where a requirement looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The space-delimited `scope` claim (or an array of strings).
    Scope,
    /// Auth0's `permissions` array (RBAC).
    Permission,
}

#[derive(Clone, Debug)]
struct Check {
    source: Source,
    any: bool,
    items: Arc<[Box<str>]>,
    /// The items space-joined, rendered once for the `scope=` challenge parameter.
    joined: Arc<str>,
}

impl Check {
    fn holds(&self, claims: &Claims) -> bool {
        let has = |item: &str| match self.source {
            Source::Scope => claims.has_scope(item),
            Source::Permission => claims.has_permission(item),
        };
        if self.any {
            self.items.iter().any(|i| has(i))
        } else {
            self.items.iter().all(|i| has(i))
        }
    }
}

/// What a route requires of a verified token beyond validity: scopes and permissions,
/// each group all-of or any-of. Empty requirements always hold.
///
/// ```
/// use auth0_api::Requirements;
/// let r = Requirements::new()
///     .scopes(["read:data"])               // all of these scopes
///     .any_permission(["admin", "editor"]); // and at least one of these permissions
/// # let _ = r;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Requirements {
    checks: Vec<Check>,
}

impl Requirements {
    /// No requirements.
    pub fn new() -> Self {
        Self::default()
    }

    fn push<I, S>(mut self, source: Source, any: bool, items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let items: Arc<[Box<str>]> = items
            .into_iter()
            .map(|s| s.into().into_boxed_str())
            .filter(|s| !s.is_empty())
            .collect();
        if items.is_empty() {
            return self;
        }
        let joined: Arc<str> = items.join(" ").into();
        self.checks.push(Check {
            source,
            any,
            items,
            joined,
        });
        self
    }

    /// Requires every one of `scopes` in the `scope` claim.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(self, scopes: I) -> Self {
        self.push(Source::Scope, false, scopes)
    }

    /// Requires at least one of `scopes` in the `scope` claim.
    pub fn any_scope<I: IntoIterator<Item = S>, S: Into<String>>(self, scopes: I) -> Self {
        self.push(Source::Scope, true, scopes)
    }

    /// Requires every one of `permissions` in the `permissions` claim.
    pub fn permissions<I: IntoIterator<Item = S>, S: Into<String>>(self, permissions: I) -> Self {
        self.push(Source::Permission, false, permissions)
    }

    /// Requires at least one of `permissions` in the `permissions` claim.
    pub fn any_permission<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Self {
        self.push(Source::Permission, true, permissions)
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Checks `claims`; the error is [`crate::ErrorKind::InsufficientScope`] naming the
    /// first unmet group.
    pub fn check(&self, claims: &Claims) -> Result<(), Error> {
        match self.checks.iter().find(|c| !c.holds(claims)) {
            None => Ok(()),
            Some(c) => {
                // The challenge goes on the scheme the request used.
                let err = Error::insufficient_scope(c.joined.clone());
                Err(match claims.scheme() {
                    Some(scheme) => err.with_scheme(scheme),
                    None => err,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn claims(v: serde_json::Value) -> Claims {
        let serde_json::Value::Object(m) = v else {
            panic!("object")
        };
        Claims::from_payload(m, crate::claims::VerifierId::NONE).unwrap()
    }

    #[test]
    fn all_of_and_any_of() {
        let c = claims(json!({"exp":1,"scope":"a b","permissions":["p1"]}));
        let ok = |r: Requirements| r.check(&c).is_ok();
        assert!(ok(Requirements::new()));
        assert!(ok(Requirements::new().scopes(["a", "b"])));
        assert!(!ok(Requirements::new().scopes(["a", "c"])));
        assert!(ok(Requirements::new().any_scope(["c", "b"])));
        assert!(!ok(Requirements::new().any_scope(["c", "d"])));
        assert!(ok(Requirements::new().permissions(["p1"])));
        assert!(
            !ok(Requirements::new().permissions(["a"])),
            "scopes are not permissions"
        );
        assert!(
            !ok(Requirements::new().scopes(["p1"])),
            "permissions are not scopes"
        );
        assert!(ok(Requirements::new().any_permission(["x", "p1"])));
        assert!(!ok(Requirements::new().scopes(["a"]).permissions(["p2"])));
        assert!(ok(Requirements::new().scopes(Vec::<String>::new())));
    }

    #[test]
    fn substring_is_not_a_match() {
        let c = claims(json!({"exp":1,"scope":"read:data-all"}));
        assert!(Requirements::new().scopes(["read:data"]).check(&c).is_err());
    }

    #[test]
    fn error_names_the_unmet_group() {
        let c = claims(json!({"exp":1,"scope":"a"}));
        let err = Requirements::new()
            .scopes(["a"])
            .scopes(["b", "c"])
            .check(&c)
            .expect_err("must fail");
        assert_eq!(err.kind(), ErrorKind::InsufficientScope);
        assert_eq!(err.required_scope(), Some("b c"));
        assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn no_scope_claim_fails() {
        let c = claims(json!({"exp":1}));
        assert!(Requirements::new().scopes(["a"]).check(&c).is_err());
        assert!(Requirements::new().any_permission(["a"]).check(&c).is_err());
    }
}
