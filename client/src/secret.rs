//! [`Secret`]: a string that never shows itself.

use std::fmt;

/// A secret string (an AppSecret or an access token).
///
/// `Debug` and `Display` print `******`, so a secret inside any error, log line or
/// `{:?}` of a larger struct stays hidden. The only way to read it is [`Secret::expose`],
/// which the HTTP layer calls when it builds a request.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(******)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("******")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let s = Secret::new("s3cr3t-value");
        assert!(!format!("{s:?} {s} {:?}", Some(&s)).contains("s3cr3t"));
        assert_eq!(s.expose(), "s3cr3t-value");
    }
}
