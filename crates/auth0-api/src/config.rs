//! Build-time configuration errors: one [`ConfigError`] for every constructor that
//! validates input.
//!
//! The rule for bad settings: a value that cannot be right (empty, malformed, out of its
//! documented range, insecure, contradicting another setting) is refused with a
//! `ConfigError` naming the setting, the kind of problem and, when it is not secret, the
//! value. Nothing is silently clamped or ignored, except the issuer's own `Cache-Control:
//! max-age`, which is clamped to the configured TTL bounds because it is not a setting.

use std::borrow::Cow;
use std::fmt;

/// Longest part of a refused value kept in a [`ConfigError`].
const MAX_VALUE_LEN: usize = 128;

/// What kind of problem a [`ConfigError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// A required setting is missing.
    Missing,
    /// A value or list is empty.
    Empty,
    /// A value does not parse (URL, network, algorithm name, key, ...).
    Malformed,
    /// A value parses but is not supported (scheme, key type, algorithm, ...).
    Unsupported,
    /// A value outside its documented range (durations, sizes, counts).
    OutOfRange,
    /// A value that would weaken security (plain `http` to a non-loopback host, ...).
    Insecure,
    /// Two settings that cannot be combined.
    Conflict,
    /// Something the builder needs could not be created (e.g. the default HTTP client).
    Unavailable,
}

impl ConfigErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ConfigErrorKind::Missing => "missing",
            ConfigErrorKind::Empty => "empty",
            ConfigErrorKind::Malformed => "malformed",
            ConfigErrorKind::Unsupported => "unsupported",
            ConfigErrorKind::OutOfRange => "out of range",
            ConfigErrorKind::Insecure => "insecure",
            ConfigErrorKind::Conflict => "conflicting",
            ConfigErrorKind::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configuration that was refused: which setting, what kind of problem, why, and the
/// offending value when it is not a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    field: &'static str,
    kind: ConfigErrorKind,
    reason: Cow<'static, str>,
    value: Option<Box<str>>,
}

impl ConfigError {
    pub(crate) fn new(
        field: &'static str,
        kind: ConfigErrorKind,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field,
            kind,
            reason: reason.into(),
            value: None,
        }
    }

    /// The same error, reported against `field` (a value checked on behalf of a setting).
    pub(crate) fn for_field(mut self, field: &'static str) -> Self {
        self.field = field;
        self
    }

    /// Records the refused value (never call this with a secret). Long values are cut.
    pub(crate) fn with_value(mut self, value: impl fmt::Display) -> Self {
        let mut v = value.to_string();
        if v.len() > MAX_VALUE_LEN {
            let mut end = MAX_VALUE_LEN;
            while !v.is_char_boundary(end) {
                end -= 1;
            }
            v.truncate(end);
            v.push('…');
        }
        self.value = Some(v.into_boxed_str());
        self
    }

    /// The setting that was wrong or missing, e.g. `"issuer"` or `"audience"`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// Why it was refused, in words.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The refused value, when there was one and it is not secret.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid `{}` ({}): {}",
            self.field, self.kind, self.reason
        )?;
        if let Some(v) = &self.value {
            write!(f, ": {v:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_field_kind_reason_and_value() {
        let e = ConfigError::new(
            "issuer",
            ConfigErrorKind::Insecure,
            "http only for loopback",
        )
        .with_value("http://id.example.com/");
        assert_eq!(
            e.to_string(),
            "invalid `issuer` (insecure): http only for loopback: \"http://id.example.com/\""
        );
        assert_eq!(e.kind(), ConfigErrorKind::Insecure);
        assert_eq!(e.value(), Some("http://id.example.com/"));
        let long = ConfigError::new("audience", ConfigErrorKind::Malformed, "x")
            .with_value("é".repeat(200));
        assert!(long.value().is_some_and(|v| v.len() <= MAX_VALUE_LEN + 3));
    }
}
