//! The `act` (actor) claim of delegated tokens (RFC 8693 §4.1).
//!
//! A token obtained by delegation, e.g. through
//! [`get_token_on_behalf_of`](crate::TokenExchange::get_token_on_behalf_of), names the party acting
//! for the subject in `act`; earlier actors nest inside it:
//!
//! ```json
//! { "sub": "user-1", "act": { "sub": "api-b", "act": { "sub": "api-a" } } }
//! ```
//!
//! Here `api-b` is the current actor and the delegation chain is `["api-b", "api-a"]`.
//! RFC 8693 says only the outermost actor is relevant for access control; the nested ones
//! are history.
//!
//! The helpers check the whole claim and refuse a malformed one: `act` (at any level) not
//! an object, a `sub` that is missing, not a string or blank, or nesting deeper than
//! [`MAX_ACT_DEPTH`].

use std::fmt;

use serde_json::{Map, Value};

use crate::claims::Claims;

/// Deepest delegation chain accepted.
pub const MAX_ACT_DEPTH: usize = 16;

/// Why an `act` claim was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActError {
    /// `act` (or a nested `act`) is not a JSON object.
    NotAnObject,
    /// An actor's `sub` is missing, not a string, or blank.
    InvalidSub,
    /// The chain is deeper than [`MAX_ACT_DEPTH`].
    TooDeep,
}

impl fmt::Display for ActError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActError::NotAnObject => "invalid act claim: not an object",
            ActError::InvalidSub => "invalid act claim: sub must be a non-blank string",
            ActError::TooDeep => "invalid act claim: nested too deeply",
        })
    }
}

impl std::error::Error for ActError {}

/// The current actor: the outermost `act.sub`, or `None` when the token has no `act`.
///
/// ```
/// # fn f(claims: &auth0_api::Claims) -> Result<(), auth0_api::ActError> {
/// if let Some(actor) = auth0_api::act::current_actor(claims)? {
///     tracing::info!(actor, "delegated call");
/// }
/// # Ok(()) }
/// ```
pub fn current_actor(claims: &Claims) -> Result<Option<&str>, ActError> {
    Ok(actor_chain(claims.as_map())?.first().copied())
}

/// Every actor, outermost (current) first: `[act.sub, act.act.sub, …]`; empty when the
/// token has no `act`.
///
/// ```
/// # fn f(claims: &auth0_api::Claims) -> Result<(), auth0_api::ActError> {
/// let chain = auth0_api::act::delegation_chain(claims)?;
/// if chain.len() > 2 {
///     // refuse long delegation chains
/// }
/// # Ok(()) }
/// ```
pub fn delegation_chain(claims: &Claims) -> Result<Vec<&str>, ActError> {
    actor_chain(claims.as_map())
}

fn actor_chain(map: &Map<String, Value>) -> Result<Vec<&str>, ActError> {
    let mut chain = Vec::new();
    let mut next = map.get("act");
    while let Some(act) = next {
        if chain.len() == MAX_ACT_DEPTH {
            return Err(ActError::TooDeep);
        }
        let Value::Object(actor) = act else {
            return Err(ActError::NotAnObject);
        };
        match actor.get("sub") {
            Some(Value::String(sub)) if !sub.trim().is_empty() => chain.push(sub.as_str()),
            _ => return Err(ActError::InvalidSub),
        }
        next = actor.get("act");
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn nested(depth: usize) -> Value {
        let mut v = json!({ "sub": format!("a{depth}") });
        for i in (0..depth.saturating_sub(1)).rev() {
            v = json!({ "sub": format!("a{i}"), "act": v });
        }
        json!({ "sub": "user", "act": v })
    }

    #[test]
    fn chains() {
        let m = map(json!({ "sub": "user" }));
        assert_eq!(actor_chain(&m), Ok(vec![]));
        let m =
            map(json!({ "sub": "user", "act": { "sub": "b", "iss": "x", "act": { "sub": "a" } } }));
        assert_eq!(actor_chain(&m), Ok(vec!["b", "a"]));
        let m = map(nested(MAX_ACT_DEPTH));
        assert_eq!(actor_chain(&m).map(|c| c.len()), Ok(MAX_ACT_DEPTH));
    }

    #[test]
    fn malformed_claims_are_refused() {
        let cases = [
            (json!({ "act": "b" }), ActError::NotAnObject),
            (json!({ "act": null }), ActError::NotAnObject),
            (json!({ "act": ["b"] }), ActError::NotAnObject),
            (json!({ "act": {} }), ActError::InvalidSub),
            (json!({ "act": { "sub": "" } }), ActError::InvalidSub),
            (json!({ "act": { "sub": "  " } }), ActError::InvalidSub),
            (json!({ "act": { "sub": 7 } }), ActError::InvalidSub),
            (json!({ "act": { "sub": null } }), ActError::InvalidSub),
            (
                json!({ "act": { "sub": "b", "act": "a" } }),
                ActError::NotAnObject,
            ),
            (
                json!({ "act": { "sub": "b", "act": { "sub": "" } } }),
                ActError::InvalidSub,
            ),
            (
                json!({ "act": { "sub": "b", "act": { "act": { "sub": "a" } } } }),
                ActError::InvalidSub,
            ),
            (nested(MAX_ACT_DEPTH + 1), ActError::TooDeep),
        ];
        for (v, want) in cases {
            assert_eq!(actor_chain(&map(v.clone())), Err(want), "{v}");
        }
    }

    #[test]
    fn on_claims() {
        let claims = |v: Value| Claims::from_map(map(v), crate::claims::VerifierId::NONE).unwrap();
        let c =
            claims(json!({ "sub": "u", "exp": 1, "act": { "sub": "b", "act": { "sub": "a" } } }));
        assert_eq!(current_actor(&c), Ok(Some("b")));
        assert_eq!(delegation_chain(&c), Ok(vec!["b", "a"]));
        let c = claims(json!({ "sub": "u", "exp": 1 }));
        assert_eq!(current_actor(&c), Ok(None));
        assert_eq!(delegation_chain(&c), Ok(vec![]));
        // A malformed nested actor makes the current actor unreadable too.
        let c = claims(json!({ "sub": "u", "exp": 1, "act": { "sub": "b", "act": { "sub": 1 } } }));
        assert_eq!(current_actor(&c), Err(ActError::InvalidSub));
    }

    #[test]
    fn display() {
        assert_eq!(
            ActError::InvalidSub.to_string(),
            "invalid act claim: sub must be a non-blank string"
        );
    }
}
