//! The one error type of the handlers. Expected failures become a helpful page saying what
//! happened and what to do (4xx; 503 with `Retry-After` when trying again later will help);
//! unexpected ones become a generic 500 whose cause is logged, not shown.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
};
use snapstart_proto::links::LinkError;

use crate::{messenger::MessengerError, pages, truth::Recorded};

/// Seconds a 503 page asks the browser (and the approver) to wait before trying again.
pub const RETRY_AFTER_SECONDS: u32 = 60;

const EMPTY_SELECTION_TITLE: &str = "No version is selected";
const EMPTY_SELECTION_BODY: &str = "Every function was unticked, or every version of the ticked ones was marked to keep, so this approval would delete nothing. \
To delete nothing, use the reject link in the email instead; to approve, go back and leave at least one version ticked. Nothing was changed.";

/// Why a request did not end in a confirmation page or an accepted decision.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request carried no link token.
    #[error("missing link token")]
    MissingToken,
    /// The link token did not verify.
    #[error("link refused: {0}")]
    Link(#[from] LinkError),
    /// A correctly signed link past its expiry, and what its run recorded.
    #[error("link expired")]
    Expired(Box<Recorded>),
    /// The form's CSRF token is missing or belongs to another link.
    #[error("bad or missing CSRF token")]
    BadCsrf,
    /// The POST came from a page of another origin.
    #[error("cross-origin POST from {0:?}")]
    CrossOrigin(String),
    /// The form body could not be read.
    #[error("malformed form: {0}")]
    BadForm(String),
    /// The approver's name holds a control, zero-width or direction-changing character.
    #[error("approver name with U+{:04X}", *.0 as u32)]
    BadName(char),
    /// Approve that selects no candidate.
    #[error("approval that selects no candidate")]
    EmptySelection,
    /// The form is larger than the body limit.
    #[error("form body too large")]
    TooLarge,
    /// Too many requests in flight.
    #[error("too many requests in flight")]
    Busy,
    /// The request took longer than the request timeout.
    #[error("request took too long")]
    TooSlow,
    /// The form's body did not arrive within its deadline.
    #[error("form body too slow")]
    SlowBody,
    /// The run could not be read or refused the decision.
    #[error(transparent)]
    Run(#[from] MessengerError),
    /// The decision was sent but its outcome is unknown (no answer in time).
    #[error("decision outcome unknown")]
    Unconfirmed,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        use StatusCode as S;
        match self {
            Self::MissingToken => (S::BAD_REQUEST, "This link is incomplete", "The address has no link token. Open the link from the approval email again, whole; some mail programs cut long links.".into()),
            Self::Link(e) => link_parts(e),
            Self::Expired(recorded) => (S::GONE, "This link has expired", pages::expired_text(recorded)),
            Self::BadCsrf => (S::FORBIDDEN, "This form cannot be used", "The form did not come from this link's confirmation page. Open the link from the approval email again and confirm there. Nothing was changed.".into()),
            Self::CrossOrigin(_) => (S::FORBIDDEN, "Refused: the form came from another site", "Decisions can only be confirmed from the resolver's own page. Nothing was changed.".into()),
            Self::BadForm(why) => (S::BAD_REQUEST, "The form could not be read", format!("{why}. Open the link from the approval email again. Nothing was changed.")),
            Self::BadName(c) => (S::BAD_REQUEST, "This name cannot be recorded", format!("The name you typed contains an invisible control or text-direction character (U+{:04X}), which can make a name read as someone else's. Go back and type it again without it. Nothing was changed.", *c as u32)),
            Self::EmptySelection => (S::BAD_REQUEST, EMPTY_SELECTION_TITLE, EMPTY_SELECTION_BODY.into()),
            Self::TooLarge => (S::PAYLOAD_TOO_LARGE, "The form is too large", "The form is larger than the resolver accepts; its confirm page never sends that much. Open the link from the approval email again. Nothing was changed.".into()),
            Self::Busy => (S::SERVICE_UNAVAILABLE, "The resolver is busy", "Too many requests are being handled right now. Nothing was changed; try again in a minute.".into()),
            Self::SlowBody => (S::REQUEST_TIMEOUT, "The form arrived too slowly", "The form did not arrive in time. Nothing was changed; open the link from the approval email again.".into()),
            Self::TooSlow => (S::SERVICE_UNAVAILABLE, "The request took too long", "The request was stopped before it finished. If you had confirmed a decision, open the link again to see whether it was recorded before trying anything else.".into()),
            Self::Run(e) => run_parts(e),
            Self::Unconfirmed => (S::GATEWAY_TIMEOUT, "Your decision could not be confirmed", "The run did not answer in time, so it may or may not have taken your decision. Open the link again in a minute: the page will show whether a decision was recorded.".into()),
        }
    }
}

fn link_parts(e: &LinkError) -> (StatusCode, &'static str, String) {
    match e {
        LinkError::Expired => (StatusCode::GONE, "This link has expired", "The approval deadline has passed, so this link can no longer decide anything.".into()),
        LinkError::WrongDecision => (StatusCode::FORBIDDEN, "This link is for the other decision", "Use the approve link to approve and the reject link to reject. Nothing was changed.".into()),
        LinkError::BadSignature => (StatusCode::FORBIDDEN, "This link is not valid", "The link was altered or was not issued by this system. Open the link from the approval email again. Nothing was changed.".into()),
        LinkError::Malformed => (StatusCode::BAD_REQUEST, "This link is damaged", "The link token could not be read; some mail programs break long links. Open the link from the approval email again, whole. Nothing was changed.".into()),
        LinkError::SecretTooShort => (StatusCode::INTERNAL_SERVER_ERROR, pages::GENERIC_TITLE, pages::GENERIC_BODY.into()),
    }
}

fn run_parts(e: &MessengerError) -> (StatusCode, &'static str, String) {
    match e {
        MessengerError::NotFound => (StatusCode::NOT_FOUND, "Run not found", "The cleanup run this link belongs to does not exist any more (it may have been purged after it ended). Nothing was changed.".into()),
        MessengerError::NotWaiting(why) => (StatusCode::CONFLICT, "This run is no longer waiting for a decision", format!("Nothing was changed by this request ({why}).")),
        MessengerError::NotYet(why) => (StatusCode::SERVICE_UNAVAILABLE, "This run is not waiting yet", format!("The scan or the approval email is still in progress ({why}), so the run is not waiting yet: try again in a minute. The link stays valid until the deadline in the email. Nothing was changed.")),
        MessengerError::EmptySelection(_) => (StatusCode::BAD_REQUEST, EMPTY_SELECTION_TITLE, EMPTY_SELECTION_BODY.into()),
        MessengerError::AlreadyDecided(what) => (StatusCode::CONFLICT, "This run was already decided", format!("A decision was already recorded: {what}. Only the first decision counts, so this link can no longer change anything.")),
        MessengerError::Invalid(why) => (StatusCode::BAD_REQUEST, "The decision was refused", format!("The run refused the decision as invalid: {why}. Nothing was changed.")),
        MessengerError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "The cleanup service cannot be reached", "The resolver could not reach Temporal, where the cleanup run lives. Nothing was changed; try the link again in a few minutes.".into()),
        MessengerError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "The run is not answering right now", "The cleanup run could not be reached in time. Nothing was changed; try the link again in a few minutes.".into()),
        MessengerError::Other(_) => (StatusCode::INTERNAL_SERVER_ERROR, pages::GENERIC_TITLE, pages::GENERIC_BODY.into()),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, body) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), reason = %self, "request refused");
        }
        let mut response = (status, Html(pages::message(title, &body))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}
