//! The rules for the names and setting values admins type: organization names (3–220
//! characters, as the reference product allows), role names, and setting texts. Pure
//! functions, no I/O; uniqueness is checked against the store by the callers.

use roster_core::user_name_key;

use crate::OrganizationsError;

/// The shortest organization name, in characters.
pub const ORGANIZATION_NAME_MIN: usize = 3;
/// The longest organization name, in characters.
pub const ORGANIZATION_NAME_MAX: usize = 220;
/// The shortest role name, in characters.
pub const ROLE_NAME_MIN: usize = 2;
/// The longest role name, in characters.
pub const ROLE_NAME_MAX: usize = 100;
/// The longest role description, in characters.
pub const ROLE_DESCRIPTION_MAX: usize = 1_000;
/// The longest profile or storage region, in characters.
pub const SETTING_TEXT_MAX: usize = 200;

/// A validated, trimmed name with its case-folded uniqueness key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    text: String,
    key: String,
}

impl Name {
    /// Parses an organization name: 3–220 characters after trimming, no control characters.
    pub fn organization(field: &'static str, text: &str) -> Result<Self, OrganizationsError> {
        Self::parse(
            field,
            "organization name",
            text,
            ORGANIZATION_NAME_MIN,
            ORGANIZATION_NAME_MAX,
        )
    }

    /// Parses a role name: 2–100 characters after trimming, no control characters.
    pub fn role(field: &'static str, text: &str) -> Result<Self, OrganizationsError> {
        Self::parse(field, "role name", text, ROLE_NAME_MIN, ROLE_NAME_MAX)
    }

    fn parse(
        field: &'static str,
        what: &str,
        text: &str,
        min: usize,
        max: usize,
    ) -> Result<Self, OrganizationsError> {
        let text = text.trim();
        if text.chars().any(char::is_control) {
            return Err(OrganizationsError::invalid(
                field,
                format!("{what} must not contain control characters"),
            ));
        }
        let length = text.chars().count();
        if !(min..=max).contains(&length) {
            return Err(OrganizationsError::invalid(
                field,
                format!("{what} must be {min} to {max} characters, got {length}"),
            ));
        }
        Ok(Self {
            key: user_name_key(text),
            text: text.to_owned(),
        })
    }

    /// Returns the name as given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Returns the case-folded key that decides uniqueness.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Parses a role description: at most 1000 characters after trimming; line breaks and tabs
/// allowed, other control characters not.
pub fn role_description(text: &str) -> Result<String, OrganizationsError> {
    let text = text.trim();
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(OrganizationsError::invalid(
            "description",
            "description must not contain control characters",
        ));
    }
    if text.chars().count() > ROLE_DESCRIPTION_MAX {
        return Err(OrganizationsError::invalid(
            "description",
            format!("description must be at most {ROLE_DESCRIPTION_MAX} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Parses a profile or storage region: empty (after trimming) clears it, else at most 200
/// characters and no control characters.
pub fn setting_text(field: &'static str, text: &str) -> Result<Option<String>, OrganizationsError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().any(char::is_control) {
        return Err(OrganizationsError::invalid(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    if text.chars().count() > SETTING_TEXT_MAX {
        return Err(OrganizationsError::invalid(
            field,
            format!("{field} must be at most {SETTING_TEXT_MAX} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: OrganizationsError) -> &'static str {
        match err {
            OrganizationsError::InvalidInput { field, .. } => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn organization_names_are_3_to_220_characters() {
        assert!(Name::organization("name", "ab").is_err());
        assert!(Name::organization("name", "abc").is_ok());
        assert!(Name::organization("name", &"x".repeat(220)).is_ok());
        let err = Name::organization("name", &"x".repeat(221)).expect_err("221 characters");
        assert_eq!(field_of(err), "name");
    }

    #[test]
    fn lengths_count_characters_after_trimming() {
        // 220 two-byte characters are 440 bytes but 220 characters.
        assert!(Name::organization("name", &"é".repeat(220)).is_ok());
        assert!(Name::organization("name", "  ab  ").is_err());
        let name = Name::organization("name", "  Sales  ").expect("valid");
        assert_eq!(name.as_str(), "Sales");
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(Name::organization("name", "Sa\u{0}les").is_err());
        assert!(Name::organization("name", "Sa\nles").is_err());
        assert!(Name::role("name", "Ad\tmin").is_err());
    }

    #[test]
    fn keys_ignore_case() {
        let a = Name::organization("name", "Sales EMEA").expect("valid");
        let b = Name::organization("name", "SALES emea").expect("valid");
        assert_eq!(a.key(), b.key());
        assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn role_names_are_2_to_100_characters() {
        assert!(Name::role("name", "a").is_err());
        assert!(Name::role("name", "QA").is_ok());
        assert!(Name::role("name", &"r".repeat(100)).is_ok());
        assert!(Name::role("name", &"r".repeat(101)).is_err());
    }

    #[test]
    fn setting_texts_clear_when_empty_and_are_bounded() {
        assert_eq!(setting_text("profile", "  ").expect("clears"), None);
        assert_eq!(
            setting_text("profile", " Gold ").expect("valid"),
            Some("Gold".to_owned())
        );
        assert!(setting_text("profile", &"p".repeat(201)).is_err());
        assert!(setting_text("storage_region", "eu\u{7}").is_err());
    }

    #[test]
    fn descriptions_allow_line_breaks_but_are_bounded() {
        assert_eq!(
            role_description(" line one\nline two ").expect("valid"),
            "line one\nline two"
        );
        assert!(role_description(&"d".repeat(1_001)).is_err());
        assert!(role_description("bell\u{7}").is_err());
    }
}
