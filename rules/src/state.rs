//! Which Lambda version states allow deletion.

/// Exactly `Active`, `Inactive` (snapshot already dropped) and `Failed` (can never run) are
/// deletable. `Pending` (still being created) and anything else — empty, unknown to us, or
/// differently cased — is not: a state we do not recognise is never read as permission.
pub fn state_is_deletable(state: &str) -> bool {
    matches!(state, "Active" | "Inactive" | "Failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_inactive_and_failed_are_deletable() {
        let cases = [
            ("Active", true),
            ("Inactive", true),
            ("Failed", true),
            ("Pending", false),
            ("", false),
            ("Unknown", false),
            ("active", false),
            (" Active", false),
        ];
        for (state, want) in cases {
            assert_eq!(state_is_deletable(state), want, "{state:?}");
        }
    }
}
