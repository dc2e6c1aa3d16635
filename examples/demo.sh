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

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step tfshadow init -no-color
step tfshadow apply -auto-approve -no-color --message "first web tier"
step tfshadow apply -auto-approve -no-color -var size=large -var replicas=3 --message "scale web tier"
step tfshadow apply -auto-approve -no-color -var size=large -var replicas=3
step tfshadow log
step tfshadow inspect 2
step tfshadow diff 1 2
step tfshadow state list
# Secrets are not in the store in plain text: the revert asks for them.
step tfshadow revert 1 --auto-approve --no-color -var db_password=demo-only-password
step tfshadow log
printf '\nThe shadow store is a git repository:\n'
git -C .tfshadow log --oneline
