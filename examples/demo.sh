#!/usr/bin/env bash
# A short story on the embedded Terraform: apply, change, apply, then read the history.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tfshadow-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -r "$here/demo/." "$work/"
cd "$work"

# Terraform's CLI configuration of this machine is not the demo's business.
export TF_CLI_CONFIG_FILE="$work/.terraformrc"
: >"$TF_CLI_CONFIG_FILE"
export TF_IN_AUTOMATION=1
# The story runs unattended: its reports print straight to the terminal, not through a pager.
export TFSHADOW_PAGER=cat

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step tfshadow init -no-color
step tfshadow apply -auto-approve -no-color --message "first web tier"
step tfshadow apply -auto-approve -no-color -var size=large -var replicas=3 --message "scale web tier"
step tfshadow apply -auto-approve -no-color -var size=large -var replicas=3
step tfshadow log
step tfshadow inspect 2
step tfshadow diff 1 2
step tfshadow state list

# The predictive engine: CPU exported from monitoring for the web tier, and this machine's own
# metrics sampled by the built-in agent for the database (too few yet to judge: inconclusive).
cat >tfshadow.hcl <<'HCL'
metrics "csv" { path = "metrics/export.csv" }
metrics "agent" {}
resource_metrics "terraform_data.web*" { source = "csv" }
resource_metrics "terraform_data.db" {
  source  = "agent"
  metrics = ["cpu", "memory"]
}
HCL
scaled="$(tfshadow log --json | python3 -c 'import json,sys; print([v["timestamp"] for v in json.load(sys.stdin)["versions"] if v["version"] == 2][0])')"
mkdir -p metrics
python3 "$here/demo/export_metrics.py" "$scaled" metrics/export.csv
step tfshadow agent --interval 1s --count 3 --resource terraform_data.db
until="$(python3 -c 'import sys; from datetime import datetime, timedelta; print((datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")) + timedelta(hours=3)).isoformat())' "$scaled")"
step tfshadow analyze --until "$until" --no-color
# Secrets are not in the store in plain text: a revert is given them (-var, -var-file, TF_VAR_),
# or takes them from the files here where those still hold the same value (as main.tf does).
step tfshadow revert 1 --auto-approve --no-color -var db_password=demo-only-password
step tfshadow log
printf '\nThe shadow store is a git repository:\n'
git -C .tfshadow log --oneline
