//! Compact JWS assembly shared by access tokens and DPoP proofs.

use serde_json::{Map, Value};

use crate::b64;

/// One change to a JSON object, applied in the order the test asked for it.
#[derive(Clone, Debug)]
pub(crate) enum Edit {
    Set(String, Value),
    Remove(String),
}

/// Applies `edits` to `map` in order.
pub(crate) fn apply(map: &mut Map<String, Value>, edits: &[Edit]) {
    for edit in edits {
        match edit {
            Edit::Set(name, value) => {
                map.insert(name.clone(), value.clone());
            }
            Edit::Remove(name) => {
                map.remove(name);
            }
        }
    }
}

/// `base64url(header) "." base64url(payload)`.
pub(crate) fn signing_input(header: &Map<String, Value>, payload: &[u8]) -> String {
    let header = Value::Object(header.clone()).to_string();
    format!("{}.{}", b64::encode(header), b64::encode(payload))
}

/// The JSON text of `claims`.
pub(crate) fn payload(claims: Map<String, Value>) -> Vec<u8> {
    Value::Object(claims).to_string().into_bytes()
}

/// `signing_input "." base64url(signature)`.
pub(crate) fn finish(signing_input: String, signature: &[u8]) -> String {
    let mut out = signing_input;
    out.push('.');
    out.push_str(&b64::encode(signature));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edits_apply_in_order() {
        let mut map = Map::new();
        apply(
            &mut map,
            &[
                Edit::Set("a".into(), json!(1)),
                Edit::Remove("a".into()),
                Edit::Set("b".into(), json!(2)),
                Edit::Set("b".into(), json!(3)),
            ],
        );
        assert_eq!(Value::Object(map), json!({"b": 3}));
    }

    #[test]
    fn compact_shape() {
        let mut header = Map::new();
        header.insert("alg".into(), json!("none"));
        let input = signing_input(&header, b"{}");
        assert_eq!(input, "eyJhbGciOiJub25lIn0.e30");
        assert_eq!(finish(input, b""), "eyJhbGciOiJub25lIn0.e30.");
    }
}
