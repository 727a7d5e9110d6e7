//! `restore`: brings one deleted version back from its archive as a new version of its
//! function, and leaves `$LATEST` as it was.
//!
//! Lambda publishes only from `$LATEST`, so a restore puts the archived code and configuration
//! there, publishes, and puts `$LATEST`'s own code and configuration back:
//!
//! 1. read `$LATEST` (code, configuration, RevisionId) and keep a copy of its package;
//! 2. UpdateFunctionCode from the archived zip (or image), guarded by that RevisionId;
//! 3. UpdateFunctionConfiguration with the archived configuration, guarded by the RevisionId
//!    read once the code update succeeded;
//! 4. once that update succeeded, check `$LATEST` is what was written (code and configuration:
//!    a change by someone else shows here) and PublishVersion with the archived CodeSha256 and
//!    that RevisionId, so AWS refuses if `$LATEST` changed since;
//! 5. put `$LATEST`'s code and configuration back, and check its CodeSha256.
//!
//! A failure at any step puts `$LATEST` back and says where things stand. No alias moves unless
//! asked. An archive that is not whole (no `version.json`, a malformed one, a package that does
//! not hash to its CodeSha256) is refused before anything is read from Lambda.

mod plan;
mod steps;

pub use plan::{prepare, Prepared, Refused};
pub use steps::{apply, Failed, Restored};
