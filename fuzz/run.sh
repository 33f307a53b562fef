#!/usr/bin/env bash
# Fuzz the loader and validator: `fuzz/run.sh [SECONDS]` (default 300).
# Seeds: the catalog's commands and, when beside the checkout, the real-world corpus (copied into
# an untracked directory, never committed). Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on
# the stable toolchain without a sanitizer.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-300}
mkdir -p corpus/validate
cp ../catalog/commands/*.yaml corpus/validate/
if [ -d ../../shared/corpus/commands ]; then
  for f in ../../shared/corpus/commands/*.json; do
    printf '\001' | cat - "$f" > "corpus/validate/$(basename "$f")"
  done
fi
RUSTC_BOOTSTRAP=1 cargo fuzz run -s none validate corpus/validate -- \
  -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=65536
