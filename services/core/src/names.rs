//! Validated names and the userName uniqueness key.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// A tenant's URL name: `^[a-z][a-z0-9-]{1,62}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Returned when text is not a valid slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "tenant slug must be 2-63 characters: a lowercase letter, then lowercase letters, digits or '-'"
)]
pub struct SlugError;

impl Slug {
    /// Parses a slug, refusing anything outside `^[a-z][a-z0-9-]{1,62}$`.
    pub fn parse(text: &str) -> Result<Self, SlugError> {
        let mut chars = text.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if first_ok && rest_ok && (2..=63).contains(&text.len()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(SlugError)
        }
    }

    /// Returns the slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

/// Returns the key that decides `userName` uniqueness: Unicode NFKC, then full
/// lowercase, then NFKC again (lowercasing can denormalise).
///
/// RFC 7643 §4.1.1 makes `userName` case-insensitive. Computing the key here,
/// not in SQL, keeps every backend and database locale in agreement.
pub fn user_name_key(user_name: &str) -> String {
    let composed: String = user_name.nfkc().collect();
    composed.to_lowercase().nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_pattern() {
        for ok in ["ab", "acme", "acme-corp-2", &format!("a{}", "b".repeat(62))] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "1acme",
            "-acme",
            "Acme",
            "ac_me",
            "ac me",
            &format!("a{}", "b".repeat(63)),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_name_key_folds_case_and_compatibility_forms() {
        assert_eq!(user_name_key("Alice@Example.COM"), "alice@example.com");
        // Fullwidth letters (NFKC) and the Kelvin sign fold to plain ASCII.
        assert_eq!(user_name_key("ＡＬＩＣＥ"), "alice");
        assert_eq!(user_name_key("\u{212A}im"), "kim");
        assert_ne!(user_name_key("alice"), user_name_key("alicé"));
    }
}
