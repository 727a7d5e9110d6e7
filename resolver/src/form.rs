//! The form as it arrives (a query string or a urlencoded POST body) and the one free-text field
//! in it, the approver's name, checked at the edge so inner code never re-validates it.

use snapstart_proto::approval::{is_forbidden_in_name, MAX_TEXT};

use crate::error::AppError;

/// Decoded `application/x-www-form-urlencoded` pairs, repeats kept.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Decodes `bytes` (never fails: undecodable bytes become U+FFFD).
    pub fn parse(bytes: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The first non-empty value of `key`.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Whether `key` was sent at all (even empty).
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
}

/// The name the approver typed, trimmed; `None` when left empty. It is recorded as given, not
/// authenticated, so it may not hide what it is: no control, zero-width or direction-changing
/// characters, at most [`MAX_TEXT`] characters.
pub fn approver(name: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    if name.chars().count() > MAX_TEXT {
        return Err(AppError::BadForm(format!("Your name is longer than {MAX_TEXT} characters")));
    }
    if let Some(c) = name.chars().find(|c| is_forbidden_in_name(*c)) {
        return Err(AppError::BadName(c));
    }
    Ok(Some(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_empty_ones_are_none() {
        assert_eq!(approver(Some("  Ana Approver ")).unwrap().as_deref(), Some("Ana Approver"));
        assert_eq!(approver(Some("   ")).unwrap(), None);
        assert_eq!(approver(None).unwrap(), None);
        assert_eq!(approver(Some("Zoë Ñúñez 李")).unwrap().as_deref(), Some("Zoë Ñúñez 李"));
    }

    #[test]
    fn names_with_control_or_direction_characters_are_refused_naming_the_character() {
        for (name, bad) in [("ana\u{202E}nimda", '\u{202E}'), ("a\u{200B}na", '\u{200B}'), ("ana\nbo", '\n'), ("a\u{0007}", '\u{0007}'), ("\u{2066}ana", '\u{2066}')] {
            assert!(matches!(approver(Some(name)), Err(AppError::BadName(c)) if c == bad), "{name:?}");
        }
    }

    #[test]
    fn names_longer_than_the_limit_are_refused() {
        assert!(matches!(approver(Some(&"x".repeat(MAX_TEXT + 1))), Err(AppError::BadForm(_))));
        assert!(approver(Some(&"x".repeat(MAX_TEXT))).is_ok());
    }
}
