#!/bin/bash
# The config that `runc spec` writes survives our read-write round trip.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(cd "$dir" && runc spec)
"$1" "$dir/config.json"
