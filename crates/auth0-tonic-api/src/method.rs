//! Per-method rules of [`RequireAuthLayer`](crate::RequireAuthLayer): requirements keyed by
//! gRPC method path, public methods, and the error for a rule that cannot be right.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use auth0_api::{ConfigError, Requirements};

/// Longest part of a refused path kept in a [`MethodConfigError`].
const MAX_PATH_LEN: usize = 128;

/// What a layer does for one method.
#[derive(Clone, Debug)]
pub(crate) enum Rule {
    /// Served without any check: no token needed, credentials not even read.
    Public,
    /// Verified, then these requirements checked on top of the layer's own.
    Require(Arc<Requirements>),
}

/// The rules by method path (`/package.Service/Method`), matched exactly, as tonic's
/// generated servers route.
#[derive(Clone, Debug, Default)]
pub(crate) struct Methods(HashMap<Box<str>, Rule>);

impl Methods {
    pub(crate) fn get(&self, path: &str) -> Option<&Rule> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(path)
    }

    pub(crate) fn insert(&mut self, path: &str, rule: Rule) -> Result<(), MethodConfigError> {
        if !is_method_path(path) {
            return Err(MethodConfigError::new(
                path,
                MethodConfigErrorKind::MalformedPath,
            ));
        }
        if self.0.contains_key(path) {
            return Err(MethodConfigError::new(
                path,
                MethodConfigErrorKind::Duplicate,
            ));
        }
        self.0.insert(path.into(), rule);
        Ok(())
    }
}

/// `/Service-Name/method-name` (gRPC over HTTP/2, "Path"): a service name with its
/// optional package, then a method name; protobuf identifiers, plus `-`.
fn is_method_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let Some((service, method)) = rest.split_once('/') else {
        return false;
    };
    let ident = |s: &str, dots: bool| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (dots && b == b'.'))
    };
    ident(service, true)
        && !service.starts_with('.')
        && !service.ends_with('.')
        && !service.contains("..")
        && ident(method, false)
}

/// What kind of problem a [`MethodConfigError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MethodConfigErrorKind {
    /// The path is not `/package.Service/Method`: it could never match a call.
    MalformedPath,
    /// The method already has a rule (requirements or public); a second one would
    /// contradict or silently replace it.
    Duplicate,
    /// The method's requirements were refused (the [`ConfigError`] is the
    /// [`source`](std::error::Error::source)), or require nothing.
    Requirements,
}

/// A per-method rule of [`RequireAuthLayer`](crate::RequireAuthLayer) that was refused when
/// the layer was built: a path that is not a gRPC method path, a method configured twice,
/// or requirements that are malformed or empty.
///
/// ```
/// use auth0_tonic_api::{Auth0, MethodConfigErrorKind, RequireAuthLayer};
///
/// let auth0 = Auth0::builder()
///     .domain("my-tenant.us.auth0.com")
///     .audience("https://api.example.com")
///     .build()?;
/// let err = RequireAuthLayer::new(auth0)
///     .public_method("quickstart.v1.Quickstart/Public") // no leading '/'
///     .unwrap_err();
/// assert_eq!(err.kind(), MethodConfigErrorKind::MalformedPath);
/// # Ok::<(), auth0_tonic_api::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodConfigError {
    path: Box<str>,
    kind: MethodConfigErrorKind,
    source: Option<ConfigError>,
}

impl MethodConfigError {
    pub(crate) fn new(path: &str, kind: MethodConfigErrorKind) -> Self {
        let mut end = path.len().min(MAX_PATH_LEN);
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        let mut shown = path[..end].to_owned();
        if end < path.len() {
            shown.push('…');
        }
        Self {
            path: shown.into_boxed_str(),
            kind,
            source: None,
        }
    }

    pub(crate) fn requirements(path: &str, source: Option<ConfigError>) -> Self {
        Self {
            source,
            ..Self::new(path, MethodConfigErrorKind::Requirements)
        }
    }

    /// The method path as given (long paths are cut).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> MethodConfigErrorKind {
        self.kind
    }

    /// The refused requirements' error, for [`MethodConfigErrorKind::Requirements`].
    pub fn config_error(&self) -> Option<&ConfigError> {
        self.source.as_ref()
    }
}

impl fmt::Display for MethodConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match (self.kind, &self.source) {
            (MethodConfigErrorKind::MalformedPath, _) => write!(
                f,
                "invalid gRPC method path {path:?}: expected \"/package.Service/Method\""
            ),
            (MethodConfigErrorKind::Duplicate, _) => {
                write!(f, "gRPC method {path:?} is already configured")
            }
            (MethodConfigErrorKind::Requirements, Some(_)) => {
                write!(f, "invalid requirements for gRPC method {path:?}")
            }
            (MethodConfigErrorKind::Requirements, None) => write!(
                f,
                "empty requirements for gRPC method {path:?}: require a scope or permission, or make it public"
            ),
        }
    }
}

impl std::error::Error for MethodConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_paths() {
        for good in [
            "/quickstart.v1.Quickstart/ReadData",
            "/Svc/M",
            "/grpc.health.v1.Health/Check",
            "/a_b.c-d/e_f",
        ] {
            assert!(is_method_path(good), "{good}");
        }
        for bad in [
            "",
            "/",
            "//M",
            "/Svc/",
            "Svc/M",
            "/Svc/M/",
            "/Svc/M/x",
            "/Svc",
            "/.Svc/M",
            "/Svc./M",
            "/a..b/M",
            "/Svc/M.x",
            "/Svc/M?x=1",
            "/S vc/M",
            "/Svc/Méthode",
            "/Svc/%4D",
        ] {
            assert!(!is_method_path(bad), "{bad}");
        }
    }

    #[test]
    fn a_method_gets_one_rule() {
        let mut m = Methods::default();
        assert!(m.get("/S/M").is_none());
        m.insert("/S/M", Rule::Public).unwrap();
        assert!(matches!(m.get("/S/M"), Some(Rule::Public)));
        assert!(m.get("/S/m").is_none(), "paths are case-sensitive");
        let e = m
            .insert("/S/M", Rule::Require(Arc::new(Requirements::new())))
            .unwrap_err();
        assert_eq!(e.kind(), MethodConfigErrorKind::Duplicate);
        assert_eq!(e.path(), "/S/M");
        assert_eq!(e.to_string(), r#"gRPC method "/S/M" is already configured"#);
    }

    #[test]
    fn long_paths_are_cut_in_errors() {
        let long = format!("/{}", "é".repeat(200));
        let e = MethodConfigError::new(&long, MethodConfigErrorKind::MalformedPath);
        assert!(e.path().len() <= MAX_PATH_LEN + '…'.len_utf8());
        assert!(e.path().ends_with('…'));
    }
}
