#!/usr/bin/env bash
# Mutation testing of the pure code that decides what may be deleted: every mutant cargo-mutants
# makes there must be killed by a unit test, or be listed in docs/mutants.md as equivalent.
# Too slow for CI on two cores (run it by hand before changing these rules):
#   scripts/mutants.sh            # every scope below
#   scripts/mutants.sh rules      # one scope: rules | proto | decision | deletion | archive
# Installs cargo-mutants (crates.io) when missing. Results land in target/mutants/<scope>/. It
# mutates the working tree in place (reusing target/, so no cold build per scope) and puts each
# file back after: do not edit or commit while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
export CARGO_INCREMENTAL=0

run() {
  local scope="$1"; shift
  echo "==> mutants: $scope" >&2
  mkdir -p "target/mutants/$scope"
  cargo mutants --in-place --no-shuffle --output "target/mutants/$scope" "$@" || true
  echo "==> $scope: $(cat "target/mutants/$scope/mutants.out/missed.txt" 2>/dev/null | wc -l) missed, $(cat "target/mutants/$scope/mutants.out/caught.txt" 2>/dev/null | wc -l) caught" >&2
}

scopes=("${@:-rules proto decision deletion archive}")
for scope in ${scopes[*]}; do
  case "$scope" in
    rules) run rules -p snapstart-rules ;;
    proto) run proto -p snapstart-proto --file proto/src/approval.rs --file proto/src/selection.rs --file proto/src/links.rs --file proto/src/candidates.rs -- --lib ;;
    decision) run decision -p snapstart-worker --file worker/src/decision.rs -- --lib ;;
    # The deletion rules: what a re-check concludes, and how AWS's answers are read (the rest of
    # those files is AWS plumbing, tested against the emulators).
    deletion) run deletion -p snapstart-deletion -p snapstart-aws --file deletion/src/recheck.rs --file deletion/src/lib.rs --file aws/src/lambda.rs \
        --re 'changed|gone|function_level_blocks|recheck_period_seconds|series_of|batches|places|numeric|gone_before|policy_error|policy_principals|collect_principals' -- --lib ;;
    # The archive and restore rules: which doubt keeps a version from being deleted, what makes
    # an archive whole, what a restore checks before it publishes, where it reads the code from.
    archive) run archive -p snapstart-deletion -p snapstart-restore -p snapstart-proto --file deletion/src/archive.rs --file restore/src/steps.rs \
        --file restore/src/plan.rs --file proto/src/archive.rs --re 'changed_since_scan|differences|folder_of|archived_code|needs_copy|needs_staging_bucket|parse|has_package|hash_prefix|folder' -- --lib ;;
    *) echo "unknown scope $scope (rules, proto, decision, deletion, archive)" >&2; exit 2 ;;
  esac
done
