#!/usr/bin/env bash
# Install a released xcs binary: the asset for this OS and CPU from the release of a version
# tag, verified against the release's SHA256SUMS. Used by action.yml; usable by hand.
#
#   scripts/install-release.sh REF DEST_DIR      install into DEST_DIR/bin/xcs
#   scripts/install-release.sh --asset REF       print the asset name for this machine
#
# Environment: XCS_REPOSITORY (owner/name, for the default download URL), XCS_RELEASE_URL (the
# directory that holds a release's files; default https://github.com/$XCS_REPOSITORY/releases/
# download/REF), XCS_OS / XCS_ARCH (default: this machine, as `uname -s` / `uname -m` or the
# runner's Linux|macOS / X64|ARM64).
#
# Exit status: 0 installed; 3 no release binary for this ref or platform (build from source
# instead); 1 anything else, including a checksum that does not match (never fall back then).
set -euo pipefail

target() {
  local os="${XCS_OS:-$(uname -s)}" arch="${XCS_ARCH:-$(uname -m)}"
  case "$os" in
    Linux | linux) os=unknown-linux-musl ;;
    macOS | Darwin | darwin) os=apple-darwin ;;
    *) return 1 ;;
  esac
  case "$arch" in
    X64 | x86_64 | amd64) arch=x86_64 ;;
    ARM64 | arm64 | aarch64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  echo "$arch-$os"
}

# Only version tags (v1.2.3, v1.2.3-rc.1) have releases; branches and commits build.
asset() {
  local ref="$1" t
  [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || return 1
  t="$(target)" || return 1
  echo "xcs-$ref-$t.tar.gz"
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

if [ "${1:-}" = "--asset" ]; then
  asset "${2?usage: $0 --asset REF}" || exit 3
  exit 0
fi

ref="${1?usage: $0 REF DEST_DIR}"
dest="${2:?usage: $0 REF DEST_DIR}"
name="$(asset "$ref")" || { echo "xcs: no release binary for ref '$ref' on this platform" >&2; exit 3; }
base="${XCS_RELEASE_URL:-https://github.com/${XCS_REPOSITORY:?set XCS_REPOSITORY}/releases/download/$ref}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() { curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"; }
if ! fetch "$base/SHA256SUMS" "$work/SHA256SUMS" || ! fetch "$base/$name" "$work/$name"; then
  echo "xcs: no release asset $name at $base" >&2
  exit 3
fi
want="$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$work/SHA256SUMS")"
got="$(sha256 "$work/$name")"
if [ -z "$want" ] || [ "$want" != "$got" ]; then
  echo "xcs: checksum mismatch for $name (SHA256SUMS: ${want:-none}, downloaded: $got)" >&2
  exit 1
fi
mkdir -p "$dest/bin"
tar -xzf "$work/$name" -C "$work"
install -m 0755 "$work/xcs" "$dest/bin/xcs"
echo "xcs: installed $name into $dest/bin"
