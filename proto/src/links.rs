//! Signed approval links, shared by the worker (which mints them) and the resolver (which checks
//! them). A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, claims))`; the
//! claims name the workflow id, run id, decision and expiry (= the approval deadline). Tokens are
//! compared in constant time and never logged whole.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Shortest accepted `APPROVAL_LINK_SECRET`, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Which way a link decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    /// The URL path segment and claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
}

/// What a link token asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "w")]
    pub workflow_id: String,
    #[serde(rename = "r")]
    pub run_id: String,
    #[serde(rename = "d")]
    pub decision: Decision,
    /// Unix seconds after which the link is dead.
    #[serde(rename = "e")]
    pub expires_unix: i64,
}

/// The link-signing key; construction enforces the minimum length.
#[derive(Clone)]
pub struct LinkSecret(Vec<u8>);

impl std::fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSecret(<redacted>)")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("APPROVAL_LINK_SECRET must be at least {MIN_SECRET_BYTES} bytes")]
    SecretTooShort,
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link is for the other decision")]
    WrongDecision,
    #[error("the link has expired")]
    Expired,
}

impl LinkSecret {
    /// Wraps a secret of at least 32 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, LinkError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(LinkError::SecretTooShort);
        }
        Ok(Self(bytes))
    }

    /// Reads `APPROVAL_LINK_SECRET`.
    pub fn from_env() -> Result<Self, LinkError> {
        Self::new(std::env::var("APPROVAL_LINK_SECRET").unwrap_or_default())
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        for p in parts {
            mac.update(p);
        }
        mac
    }

    /// Mints a token for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let body = B64.encode(serde_json::to_vec(claims).expect("claims serialise"));
        let tag = B64.encode(self.mac(&[body.as_bytes()]).finalize().into_bytes());
        format!("{body}.{tag}")
    }

    /// Checks a token for `decision` at `now_unix`.
    pub fn verify(&self, token: &str, decision: Decision, now_unix: i64) -> Result<Claims, LinkError> {
        let (body, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let tag = B64.decode(tag).map_err(|_| LinkError::Malformed)?;
        self.mac(&[body.as_bytes()]).verify_slice(&tag).map_err(|_| LinkError::BadSignature)?;
        let claims: Claims =
            serde_json::from_slice(&B64.decode(body).map_err(|_| LinkError::Malformed)?).map_err(|_| LinkError::Malformed)?;
        if claims.decision != decision {
            return Err(LinkError::WrongDecision);
        }
        if now_unix >= claims.expires_unix {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }

    /// The CSRF token for a confirm form, bound to the link token it was served for.
    pub fn csrf_for(&self, link_token: &str) -> String {
        B64.encode(self.mac(&[b"csrf:", link_token.as_bytes()]).finalize().into_bytes())
    }

    /// Checks a CSRF token in constant time.
    pub fn verify_csrf(&self, link_token: &str, csrf: &str) -> bool {
        match B64.decode(csrf) {
            Ok(tag) => self.mac(&[b"csrf:", link_token.as_bytes()]).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
    }
}

/// A short, non-secret fingerprint of a token for logs.
pub fn fingerprint(token: &str) -> String {
    let digest = <Sha256 as sha2::Digest>::digest(token.as_bytes());
    B64.encode(&digest[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> LinkSecret {
        LinkSecret::new(vec![7u8; 32]).unwrap()
    }

    fn claims(decision: Decision) -> Claims {
        Claims { workflow_id: "wf".into(), run_id: "run".into(), decision, expires_unix: 1_000 }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let token = secret().sign(&claims(Decision::Approve));
        assert_eq!(secret().verify(&token, Decision::Approve, 999), Ok(claims(Decision::Approve)));
        assert_eq!(secret().verify(&token, Decision::Approve, 1_000), Err(LinkError::Expired));
    }

    #[test]
    fn tampered_foreign_or_wrong_decision_tokens_are_refused() {
        let token = secret().sign(&claims(Decision::Approve));
        let (body, tag) = token.split_once('.').unwrap();
        let other = LinkSecret::new(vec![8u8; 32]).unwrap().sign(&claims(Decision::Approve));
        let forged_body = B64.encode(br#"{"w":"other","r":"run","d":"approve","e":1000}"#);
        let cases = [
            (format!("{forged_body}.{tag}"), LinkError::BadSignature),
            (other, LinkError::BadSignature),
            (format!("{body}.{}", &tag[1..]), LinkError::Malformed),
            (format!("{body}.{}", tag.replace('A', "B").replace('d', "e")), LinkError::BadSignature),
            (body.to_string(), LinkError::Malformed),
            (String::new(), LinkError::Malformed),
            ("a.b!".into(), LinkError::Malformed),
        ];
        for (t, want) in cases {
            assert_eq!(secret().verify(&t, Decision::Approve, 0), Err(want), "{t}");
        }
        assert_eq!(secret().verify(&token, Decision::Reject, 0), Err(LinkError::WrongDecision));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(LinkSecret::new(vec![1u8; 31]).unwrap_err(), LinkError::SecretTooShort);
        assert_eq!(format!("{:?}", secret()), "LinkSecret(<redacted>)");
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_link() {
        let s = secret();
        let csrf = s.csrf_for("link-a");
        assert!(s.verify_csrf("link-a", &csrf));
        assert!(!s.verify_csrf("link-b", &csrf));
        assert!(!s.verify_csrf("link-a", ""));
    }

    #[test]
    fn decisions_are_named_in_the_path_and_claims() {
        assert_eq!((Decision::Approve.as_str(), Decision::Reject.as_str()), ("approve", "reject"));
    }

    #[test]
    fn a_fingerprint_is_short_stable_and_tells_tokens_apart() {
        let (a, b) = (fingerprint("token-a"), fingerprint("token-b"));

        assert_eq!(a.len(), 8, "six bytes of SHA-256, base64url");
        assert_eq!(a, fingerprint("token-a"));
        assert_ne!(a, b);
        assert!(!a.contains("token"), "it reveals nothing of the token");
    }
}
