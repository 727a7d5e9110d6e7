//! The one error type of the handlers. Expected failures become a helpful 4xx page saying what
//! happened and what to do; unexpected ones become a generic 500 whose cause is logged, not shown.

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use snapstart_proto::links::LinkError;

use crate::{messenger::MessengerError, pages};

/// Why a request did not end in a confirmation page or an accepted decision.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request carried no link token.
    #[error("missing link token")]
    MissingToken,
    /// The link token did not verify.
    #[error("link refused: {0}")]
    Link(#[from] LinkError),
    /// The form's CSRF token is missing or belongs to another link.
    #[error("bad or missing CSRF token")]
    BadCsrf,
    /// The POST came from a page of another origin.
    #[error("cross-origin POST from {0:?}")]
    CrossOrigin(String),
    /// The form body could not be read.
    #[error("malformed form: {0}")]
    BadForm(String),
    /// Approve with no candidate row checked.
    #[error("approve with no candidate row checked")]
    NoRowsChecked,
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
            Self::BadCsrf => (S::FORBIDDEN, "This form cannot be used", "The form did not come from this link's confirmation page. Open the link from the approval email again and confirm there. Nothing was changed.".into()),
            Self::CrossOrigin(_) => (S::FORBIDDEN, "Refused: the form came from another site", "Decisions can only be confirmed from the resolver's own page. Nothing was changed.".into()),
            Self::BadForm(why) => (S::BAD_REQUEST, "The form could not be read", format!("{why}. Open the link from the approval email again. Nothing was changed.")),
            Self::NoRowsChecked => (S::BAD_REQUEST, "No version was checked", "Check at least one version to delete, or use the reject link in the email to delete nothing. Nothing was changed.".into()),
            Self::Run(e) => run_parts(e),
            Self::Unconfirmed => (S::GATEWAY_TIMEOUT, "Your decision could not be confirmed", "The run did not answer in time, so it may or may not have taken your decision. Open the link again in a minute: the page will show whether a decision was recorded.".into()),
        }
    }
}

fn link_parts(e: &LinkError) -> (StatusCode, &'static str, String) {
    match e {
        LinkError::Expired => (StatusCode::GONE, "This link has expired", "The approval deadline has passed, so this run no longer takes decisions and nothing will be deleted. A later scheduled run will report the versions again.".into()),
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
        MessengerError::AlreadyDecided(what) => (StatusCode::CONFLICT, "This run was already decided", format!("A decision was already recorded: {what}. Only the first decision counts, so this link can no longer change anything.")),
        MessengerError::Invalid(why) => (StatusCode::BAD_REQUEST, "The decision was refused", format!("The run refused the decision as invalid: {why}. Nothing was changed.")),
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
        (status, Html(pages::message(title, &body))).into_response()
    }
}
