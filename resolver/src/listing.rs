//! A run's whole candidate list, read through the paged `functions` and `candidates` queries
//! ([`MAX_PAGE`] rows a query, candidate pages fetched concurrently) and checked to fit together:
//! every page where it was asked for, every index inside the list.

use anyhow::anyhow;
use futures::future::try_join_all;
use snapstart_proto::status::{CandidateItem, CandidatesQuery, FunctionGroup, FunctionsQuery, MAX_PAGE};

use crate::messenger::{MessengerError, RunMessenger};

/// Which run to read.
#[derive(Clone, Copy)]
pub struct RunRef<'a> {
    /// The link's workflow id.
    pub workflow_id: &'a str,
    /// The link's run id.
    pub run_id: &'a str,
}

/// Every function with candidates (in the run's order) and every candidate (by index).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Position in this list is the function's number in the confirm form.
    pub functions: Vec<FunctionGroup>,
    /// `items[i].index == i`.
    pub items: Vec<CandidateItem>,
}

/// Reads every function page; each group's indexes are checked against `total` candidates.
pub async fn functions(messenger: &dyn RunMessenger, run: RunRef<'_>, total: u32) -> Result<Vec<FunctionGroup>, MessengerError> {
    let mut out: Vec<FunctionGroup> = Vec::new();
    loop {
        let query = FunctionsQuery { offset: out.len() as u32, limit: MAX_PAGE };
        let page = messenger.functions(run.workflow_id, run.run_id, &query).await?;
        check(page.offset == query.offset, || format!("functions page at {} answered offset {}", query.offset, page.offset))?;
        let empty = page.functions.is_empty();
        out.extend(page.functions);
        if out.len() >= page.total as usize {
            break;
        }
        check(!empty, || format!("functions pages ended at {} of {}", out.len(), page.total))?;
    }
    check_groups(&out, total)?;
    Ok(out)
}

/// Reads all `total` candidates, [`MAX_PAGE`] a query, the queries in parallel.
pub async fn candidates(messenger: &dyn RunMessenger, run: RunRef<'_>, total: u32) -> Result<Vec<CandidateItem>, MessengerError> {
    let pages = (0..total).step_by(MAX_PAGE as usize).map(|offset| async move {
        let query = CandidatesQuery { offset, limit: MAX_PAGE, ..Default::default() };
        let page = messenger.candidates(run.workflow_id, run.run_id, &query).await?;
        check(page.offset == offset && page.total == total, || format!("candidates page at {offset} of {total} answered {} of {}", page.offset, page.total))?;
        Ok::<_, MessengerError>(page.items)
    });
    let items: Vec<CandidateItem> = try_join_all(pages).await?.into_iter().flatten().collect();
    let in_order = items.len() == total as usize && items.iter().enumerate().all(|(i, item)| item.index as usize == i);
    check(in_order, || format!("candidate pages do not cover 0..{total} in order"))?;
    Ok(items)
}

/// The functions and candidates of a run with `total` candidates.
pub async fn listing(messenger: &dyn RunMessenger, run: RunRef<'_>, total: u32) -> Result<Listing, MessengerError> {
    let (functions, items) = futures::try_join!(functions(messenger, run, total), candidates(messenger, run, total))?;
    Ok(Listing { functions, items })
}

fn check_groups(groups: &[FunctionGroup], total: u32) -> Result<(), MessengerError> {
    let count: usize = groups.iter().map(|g| g.indexes.len()).sum();
    check(count == total as usize, || format!("functions hold {count} candidates, the run {total}"))?;
    let outside = groups.iter().flat_map(|g| &g.indexes).find(|i| **i >= total);
    check(outside.is_none(), || format!("a function names candidate {outside:?} of {total}"))
}

/// An answer that does not fit the others is a bug or a changed contract: a 500, logged.
fn check(ok: bool, why: impl FnOnce() -> String) -> Result<(), MessengerError> {
    if ok {
        return Ok(());
    }
    Err(MessengerError::Other(anyhow!("the run's paged answers do not fit together: {}", why())))
}
