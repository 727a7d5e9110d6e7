//! Which functions a run may touch at all: name globs (`*` any run of characters, `?` one
//! character, everything else literal) and the protect tag's value.

/// Whether `name` matches `pattern` as a whole.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Why a function is out of scope by name, if it is: not matching any `include` (when there are
/// some), or matching an `exclude`.
pub fn excluded_by_pattern(name: &str, include: &[String], exclude: &[String]) -> bool {
    let included = include.is_empty() || include.iter().any(|p| glob_match(p, name));
    !included || exclude.iter().any(|p| glob_match(p, name))
}

/// A protect tag protects with any value except `false` (in any case, surrounding spaces
/// ignored), so that `"true"`, `"yes"`, `""` and `"until 2027"` all protect.
pub fn tag_protects(value: &str) -> bool {
    !value.trim().eq_ignore_ascii_case("false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names_with_star_and_question_mark() {
        let cases = [
            ("*-prod-*", "orders-prod-api", true),
            ("*-prod-*", "orders-prod", false),
            ("*-prod-*", "prod-orders-x", false),
            ("orders-*", "orders-", true),
            ("orders-*", "orders", false),
            ("orders-?", "orders-1", true),
            ("orders-?", "orders-12", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*b*c", "a-b-b-c", true),
            ("a*b*c", "a-b-b-c-d", false),
            ("Orders", "orders", false),
            ("***a", "bbba", true),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(glob_match(pattern, name), want, "{pattern:?} ~ {name:?}");
        }
    }

    #[test]
    fn a_pathological_pattern_stays_fast() {
        let name = "a".repeat(140);
        assert!(!glob_match(&format!("{}b", "*a".repeat(30)), &name));
    }

    #[test]
    fn include_narrows_and_exclude_wins() {
        let v = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!excluded_by_pattern("orders-api", &[], &[]));
        assert!(excluded_by_pattern("payments", &v(&["orders-*"]), &[]));
        assert!(!excluded_by_pattern("orders-api", &v(&["orders-*", "carts-*"]), &[]));
        assert!(excluded_by_pattern("orders-prod-api", &v(&["orders-*"]), &v(&["*-prod-*"])));
    }

    #[test]
    fn every_tag_value_protects_except_false() {
        for value in ["true", "", "yes", "until 2027", "0", "no"] {
            assert!(tag_protects(value), "{value:?}");
        }
        for value in ["false", "FALSE", " False "] {
            assert!(!tag_protects(value), "{value:?}");
        }
    }
}
