//! Scope and permission requirements (403 `insufficient_scope` when unmet).

use std::sync::Arc;

use crate::claims::Claims;
use crate::config::{ConfigError, ConfigErrorKind};
use crate::error::Error;
use crate::telemetry;

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
/// each group all-of or any-of. [`Requirements::new`] (nothing required) always holds.
///
/// Each group is checked when it is added: a list with no item, or an item that is not an
/// RFC 6749 `scope-token` (empty, whitespace-only or containing a space, a control
/// character, `"` or `\`), is a [`ConfigError`]. Such an item could never match one scope
/// of a token (`"read write"` is two scopes), and an empty one used to be dropped without a
/// word, leaving the route with no check at all.
///
/// ```
/// use auth0_api::Requirements;
/// let r = Requirements::new()
///     .scopes(["read:data"])?                // all of these scopes
///     .any_permission(["admin", "editor"])?; // and at least one of these permissions
/// # let _ = r;
/// assert!(Requirements::new().scopes([""]).is_err());
/// assert!(Requirements::new().scopes(["read write"]).is_err());
/// # Ok::<(), auth0_api::ConfigError>(())
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

    fn push<I, S>(
        mut self,
        field: &'static str,
        source: Source,
        any: bool,
        items: I,
    ) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let items: Arc<[Box<str>]> = items
            .into_iter()
            .map(|s| s.into().into_boxed_str())
            .collect();
        if items.is_empty() {
            return Err(ConfigError::new(
                field,
                ConfigErrorKind::Empty,
                "the list is empty: name at least one",
            ));
        }
        if let Some(bad) = items.iter().find(|i| !is_scope_token(i)) {
            return Err(ConfigError::new(
                field,
                ConfigErrorKind::Malformed,
                "each item must be one non-empty scope token, without spaces, control characters, '\"' or '\\'",
            )
            .with_value(format_args!("{:?}", &**bad)));
        }
        let joined: Arc<str> = items.join(" ").into();
        self.checks.push(Check {
            source,
            any,
            items,
            joined,
        });
        Ok(self)
    }

    /// Requires every one of `scopes` in the `scope` claim. An empty list or an item that
    /// is not one scope token is a [`ConfigError`].
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        scopes: I,
    ) -> Result<Self, ConfigError> {
        self.push("scopes", Source::Scope, false, scopes)
    }

    /// Requires at least one of `scopes` in the `scope` claim. An empty list or an item
    /// that is not one scope token is a [`ConfigError`].
    pub fn any_scope<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        scopes: I,
    ) -> Result<Self, ConfigError> {
        self.push("any_scope", Source::Scope, true, scopes)
    }

    /// Requires every one of `permissions` in the `permissions` claim. An empty list or an
    /// item that is not one scope token is a [`ConfigError`].
    pub fn permissions<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Result<Self, ConfigError> {
        self.push("permissions", Source::Permission, false, permissions)
    }

    /// Requires at least one of `permissions` in the `permissions` claim. An empty list or
    /// an item that is not one scope token is a [`ConfigError`].
    pub fn any_permission<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Result<Self, ConfigError> {
        self.push("any_permission", Source::Permission, true, permissions)
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// The groups, in the order they were added; every one must hold. For integrations
    /// that describe a route (an OpenAPI document, an admin page) from the same value that
    /// guards it.
    ///
    /// ```
    /// use auth0_api::{RequirementClaim, Requirements};
    /// let r = Requirements::new().scopes(["read:data"])?.any_permission(["admin", "editor"])?;
    /// let groups: Vec<_> = r
    ///     .groups()
    ///     .map(|g| (g.claim(), g.is_any(), g.items().collect::<Vec<_>>()))
    ///     .collect();
    /// assert_eq!(groups, [
    ///     (RequirementClaim::Scope, false, vec!["read:data"]),
    ///     (RequirementClaim::Permissions, true, vec!["admin", "editor"]),
    /// ]);
    /// # Ok::<(), auth0_api::ConfigError>(())
    /// ```
    pub fn groups(&self) -> impl ExactSizeIterator<Item = RequirementGroup<'_>> {
        self.checks.iter().map(|check| RequirementGroup { check })
    }

    /// Checks `claims`; the error is [`crate::ErrorKind::InsufficientScope`] naming the
    /// first unmet group.
    pub fn check(&self, claims: &Claims) -> Result<(), Error> {
        match self.checks.iter().find(|c| !c.holds(claims)) {
            None => Ok(()),
            Some(c) => {
                // The challenge goes on the scheme the request used.
                telemetry::scope_refused(claims.scheme());
                let err = Error::insufficient_scope(c.joined.clone());
                Err(match claims.scheme() {
                    Some(scheme) => err.with_scheme(scheme),
                    None => err,
                })
            }
        }
    }
}

/// The claim a [`RequirementGroup`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequirementClaim {
    /// The `scope` claim (space-delimited, or an array of strings): `scopes`, `any_scope`.
    Scope,
    /// Auth0's `permissions` array (RBAC): `permissions`, `any_permission`.
    Permissions,
}

impl RequirementClaim {
    /// The claim's name in the token: `"scope"` or `"permissions"`.
    pub const fn name(self) -> &'static str {
        match self {
            RequirementClaim::Scope => "scope",
            RequirementClaim::Permissions => "permissions",
        }
    }
}

/// One group of a [`Requirements`], as one call of `scopes`, `any_scope`, `permissions` or
/// `any_permission` added it; read with [`Requirements::groups`].
#[derive(Clone, Copy, Debug)]
pub struct RequirementGroup<'a> {
    check: &'a Check,
}

impl<'a> RequirementGroup<'a> {
    /// The claim the group reads.
    pub fn claim(&self) -> RequirementClaim {
        match self.check.source {
            Source::Scope => RequirementClaim::Scope,
            Source::Permission => RequirementClaim::Permissions,
        }
    }

    /// Whether one item suffices (`any_scope`, `any_permission`); otherwise every item is
    /// required (`scopes`, `permissions`).
    pub fn is_any(&self) -> bool {
        self.check.any
    }

    /// The items, in the order given; never empty, each one scope token.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + use<'a> {
        self.check.items.iter().map(|i| &**i)
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(item: &str) -> bool {
    !item.is_empty()
        && item
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
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
        Claims::from_map(m, crate::claims::VerifierId::NONE).unwrap()
    }

    #[test]
    fn all_of_and_any_of() {
        let c = claims(json!({"exp":1,"scope":"a b","permissions":["p1"]}));
        let ok = |r: Requirements| r.check(&c).is_ok();
        assert!(ok(Requirements::new()));
        assert!(ok(Requirements::new().scopes(["a", "b"]).unwrap()));
        assert!(!ok(Requirements::new().scopes(["a", "c"]).unwrap()));
        assert!(ok(Requirements::new().any_scope(["c", "b"]).unwrap()));
        assert!(!ok(Requirements::new().any_scope(["c", "d"]).unwrap()));
        assert!(ok(Requirements::new().permissions(["p1"]).unwrap()));
        assert!(
            !ok(Requirements::new().permissions(["a"]).unwrap()),
            "scopes are not permissions"
        );
        assert!(
            !ok(Requirements::new().scopes(["p1"]).unwrap()),
            "permissions are not scopes"
        );
        assert!(ok(Requirements::new().any_permission(["x", "p1"]).unwrap()));
        assert!(!ok(Requirements::new()
            .scopes(["a"])
            .unwrap()
            .permissions(["p2"])
            .unwrap()));
    }

    /// An empty list, or an item that is not exactly one scope token, is refused when the
    /// requirement is built; before, empty items were dropped, and `[""]` required nothing.
    #[test]
    fn malformed_items_and_empty_lists_are_config_errors() {
        type Add = fn(Requirements, Vec<&'static str>) -> Result<Requirements, ConfigError>;
        let adders: [(&str, Add); 4] = [
            ("scopes", |r, v| r.scopes(v)),
            ("any_scope", |r, v| r.any_scope(v)),
            ("permissions", |r, v| r.permissions(v)),
            ("any_permission", |r, v| r.any_permission(v)),
        ];
        for (field, add) in adders {
            let e = add(Requirements::new(), vec![]).expect_err("empty list");
            assert_eq!((e.field(), e.kind()), (field, ConfigErrorKind::Empty));
            for bad in [
                "",
                " ",
                "\t",
                "read write",
                " read",
                "read ",
                "a\nb",
                "say\"hi",
                "back\\slash",
                "caf\u{e9}",
                "\u{7f}",
            ] {
                let e = add(Requirements::new(), vec!["ok:scope", bad]).expect_err(bad);
                assert_eq!(
                    (e.field(), e.kind()),
                    (field, ConfigErrorKind::Malformed),
                    "{bad:?}"
                );
                assert!(e.to_string().contains(field), "{e}");
            }
            assert!(
                add(
                    Requirements::new(),
                    vec!["read:data", "a-b_c.d/e~!#$%&'()*+,;<=>?@[]^`{|}"]
                )
                .is_ok()
            );
        }
        // `[""]` no longer means "no check": nothing malformed ever reaches `check`.
        let c = claims(json!({"exp":1,"scope":"a"}));
        assert!(Requirements::new().scopes([""]).is_err());
        assert!(Requirements::new().check(&c).is_ok());
    }

    #[test]
    fn groups_report_each_call_in_order() {
        let r = Requirements::new()
            .scopes(["a", "b"])
            .unwrap()
            .any_scope(["c"])
            .unwrap()
            .permissions(["p"])
            .unwrap()
            .any_permission(["q", "r"])
            .unwrap();
        let groups: Vec<_> = r
            .groups()
            .map(|g| (g.claim().name(), g.is_any(), g.items().collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            groups,
            [
                ("scope", false, vec!["a", "b"]),
                ("scope", true, vec!["c"]),
                ("permissions", false, vec!["p"]),
                ("permissions", true, vec!["q", "r"]),
            ]
        );
        assert_eq!(Requirements::new().groups().len(), 0);
    }

    #[test]
    fn substring_is_not_a_match() {
        let c = claims(json!({"exp":1,"scope":"read:data-all"}));
        assert!(
            Requirements::new()
                .scopes(["read:data"])
                .unwrap()
                .check(&c)
                .is_err()
        );
    }

    #[test]
    fn error_names_the_unmet_group() {
        let c = claims(json!({"exp":1,"scope":"a"}));
        let err = Requirements::new()
            .scopes(["a"])
            .unwrap()
            .scopes(["b", "c"])
            .unwrap()
            .check(&c)
            .expect_err("must fail");
        assert_eq!(err.kind(), ErrorKind::InsufficientScope);
        assert_eq!(err.required_scope(), Some("b c"));
        assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn no_scope_claim_fails() {
        let c = claims(json!({"exp":1}));
        assert!(
            Requirements::new()
                .scopes(["a"])
                .unwrap()
                .check(&c)
                .is_err()
        );
        assert!(
            Requirements::new()
                .any_permission(["a"])
                .unwrap()
                .check(&c)
                .is_err()
        );
    }
}
