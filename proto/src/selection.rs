//! A compact approval: which candidates, by their index in the run's candidate list, as a
//! bitmap in base64url (10,000 candidates → 1,667 characters), bound to that list by a digest so
//! a selection made for one list can never approve rows of another.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use sha2::{Digest, Sha256};

/// A short fingerprint of the candidate list, in order: 16 hex digits of SHA-256 over
/// `function NUL version` lines.
pub fn digest<'a>(candidates: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hash = Sha256::new();
    for (function, version) in candidates {
        hash.update(function.as_bytes());
        hash.update(b"\0");
        hash.update(version.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Bit i (least significant first within each byte) says whether candidate i is selected.
pub fn encode(selected: &[bool]) -> String {
    let mut bytes = vec![0u8; selected.len().div_ceil(8)];
    for (i, _) in selected.iter().enumerate().filter(|(_, s)| **s) {
        bytes[i / 8] |= 1 << (i % 8);
    }
    B64.encode(bytes)
}

/// Why a bitmap does not fit the candidate list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("the selection is not base64url")]
    NotBase64,
    #[error("the selection covers {got} bytes; {len} candidates need {want}")]
    WrongLength { got: usize, want: usize, len: usize },
    #[error("the selection names candidate {0}, past the end of the list")]
    PastTheEnd(usize),
}

/// Decodes a bitmap for a list of `len` candidates; any bit past the end is an error.
pub fn decode(text: &str, len: usize) -> Result<Vec<bool>, SelectionError> {
    let bytes = B64.decode(text.trim_end_matches('=')).map_err(|_| SelectionError::NotBase64)?;
    let want = len.div_ceil(8);
    if bytes.len() != want {
        return Err(SelectionError::WrongLength { got: bytes.len(), want, len });
    }
    let bit = |i: usize| bytes[i / 8] & (1 << (i % 8)) != 0;
    if let Some(extra) = (len..want * 8).find(|i| bit(*i)) {
        return Err(SelectionError::PastTheEnd(extra));
    }
    Ok((0..len).map(bit).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_round_trips_at_every_length() {
        for len in [0, 1, 7, 8, 9, 10_000] {
            let selected: Vec<bool> = (0..len).map(|i| i % 3 != 1).collect();

            assert_eq!(decode(&encode(&selected), len).unwrap(), selected, "{len}");
        }
    }

    #[test]
    fn ten_thousand_candidates_fit_in_under_two_kilobytes() {
        assert_eq!(encode(&vec![true; 10_000]).len(), 1667);
    }

    #[test]
    fn a_selection_for_another_length_or_with_stray_bits_is_refused() {
        let nine = encode(&[true; 9]);

        assert_eq!(decode(&nine, 20), Err(SelectionError::WrongLength { got: 2, want: 3, len: 20 }));
        assert_eq!(decode(&nine, 8), Err(SelectionError::WrongLength { got: 2, want: 1, len: 8 }));
        assert_eq!(decode(&encode(&[false, false, false, true]), 3), Err(SelectionError::PastTheEnd(3)));
        assert_eq!(decode("not base64!", 3), Err(SelectionError::NotBase64));
    }

    #[test]
    fn the_digest_depends_on_every_row_and_its_order() {
        let a = digest([("f", "1"), ("f", "2")]);

        assert_eq!(a.len(), 16);
        assert_eq!(a, digest([("f", "1"), ("f", "2")]));
        assert_ne!(a, digest([("f", "2"), ("f", "1")]));
        assert_ne!(a, digest([("f", "1"), ("f", "3")]));
        assert_ne!(digest([("f:1", "2")]), digest([("f", "1:2")]), "separators are not ambiguous");
    }
}
