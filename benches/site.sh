#!/usr/bin/env bash
# Benchmark of `xcs site build` on a large catalog, against Hugo on the same pages.
#
#   benches/site.sh [COUNT]        (default 10000 commands)
#
# 1. Generates a declaration repo of COUNT commands: renamed copies of catalog/'s commands, plus
#    its registries, backend, site, projects and automations.
# 2. Times `xcs site build` (release build) with /usr/bin/time -v: wall time and peak memory.
#    That is the whole job: validation, git-free catalog, every page, the JSON API and the
#    Pagefind search index. Target: 4 s and 300 MB for 10,000 commands on the 2-core reference
#    machine, and no HTML page over 300 KB (the lists, image pages included, are paginated).
#    The load average is printed with the figures: the reference machine is shared.
# 3. Writes the same command pages as Markdown (from the site's own JSON API, so the content is
#    the same: description, facts, command line, inputs, outputs, mounts, wrappers, install
#    snippets) with a paginated list, renders them with Hugo (Debian package `hugo`, installed
#    when missing), and prints the ratio. Hugo builds no search index and validates nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10000}"
work="$(mktemp -d "${TMPDIR:-/tmp}/xcs-site-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$2"
  fi
}
need hugo hugo
[ -x /usr/bin/time ] || need /usr/bin/time time
need python3 python3

echo "== building xcs (release)"
cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
xcs="$target/release/xcs"

echo "== generating $count commands"
repo="$work/repo"
mkdir -p "$repo/commands"
for f in catalog/*.yaml catalog/projects; do cp -r "$f" "$repo/"; done
# The originals stay, so the site, projects, automations and setup/wrap-up references resolve.
cp catalog/commands/*.yaml "$repo/commands/"
sources=(catalog/commands/*.yaml)
made=${#sources[@]}
per=$(( (count - made + ${#sources[@]} - 1) / ${#sources[@]} ))
for src in "${sources[@]}"; do
  base="$(basename "$src" .yaml)"
  todo=$(( count - made < per ? count - made : per ))
  ((todo > 0)) || break
  # One awk process per source file writes all its copies: the first top-level `name:` gets a
  # suffix, so every copy is a distinct command (name, image, version).
  awk -v n="$todo" -v dir="$repo/commands" -v base="$base" '
    { lines[NR] = $0 }
    END {
      for (i = 1; i <= n; i++) {
        out = sprintf("%s/%s-%05d.yaml", dir, base, i)
        renamed = 0
        for (l = 1; l <= NR; l++) {
          line = lines[l]
          if (!renamed && line ~ /^name: /) { line = line "-" sprintf("%05d", i); renamed = 1 }
          print line > out
        }
        close(out)
      }
    }' "$src"
  made=$(( made + todo ))
done
echo "   $(ls "$repo/commands" | wc -l) command files"

echo "== xcs site build"
"$xcs" site build "$repo" --out "$work/public" --format json > "$work/xcs.json" 2> "$work/xcs.time" ||
  { cat "$work/xcs.time"; head -c 3000 "$work/xcs.json"; exit 1; }
# Timed: a build into a new directory. The first build stays: deleting its ~50,000 files just
# before would time ext4 skipping their freshly freed inodes when it allocates new ones (a
# minute or more; `recently_deleted` tops the kernel profile then), not the build.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v "$xcs" site build "$repo" --out "$work/timed" > /dev/null 2> "$work/xcs.time"
rm -rf "$work/public"; mv "$work/timed" "$work/public"
xcs_wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/xcs.time")"
xcs_rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/xcs.time")"
pages="$(find "$work/public" -name '*.html' | wc -l)"
largest_line="$(find "$work/public" -name '*.html' -printf '%s %P\n' | sort -n | tail -1)"
largest="${largest_line%% *}"
size="$(du -sh "$work/public" | cut -f1)"

echo "== the same pages as Markdown for Hugo"
site="$work/hugo"
mkdir -p "$site/content/commands" "$site/layouts/_default"
python3 - "$work/public" "$site/content/commands" <<'PY'
import json, pathlib, sys
public, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def cell(s):
    return str(s if s is not None else "").replace("|", "\\|").replace("\n", " ")
for f in sorted((public / "api" / "commands").glob("*.json")):
    rec = json.loads(f.read_text())
    c = rec["command"]
    md = ["---", "title: " + json.dumps(c.get("label") or c["name"]),
          "description: " + json.dumps(c.get("description") or ""), "---", ""]
    md += [c.get("description") or "", ""]
    md += ["- **Name**: `%s`" % c["name"], "- **Version**: %s" % c.get("version", ""),
           "- **Image**: `%s`" % c.get("image", ""), "- **Visibility**: %s" % rec["visibility"], ""]
    md += ["## Command line", "", "```", c.get("command-line", ""), "```", ""]
    md += ["## Inputs", "", "| Name | Type | Required | Default | Flag | Description |", "|---|---|---|---|---|---|"]
    for i in c.get("inputs", []):
        md.append("| `%s` | %s | %s | %s | %s | %s |" % (cell(i["name"]), cell(i.get("type", "string")),
                  cell(i.get("required", False)), cell(i.get("default-value")), cell(i.get("command-line-flag")),
                  cell(i.get("description"))))
    md += ["", "## Outputs", "", "| Name | Mount | Path | Glob |", "|---|---|---|---|"]
    for o in c.get("outputs", []):
        md.append("| `%s` | %s | %s | %s |" % (cell(o["name"]), cell(o.get("mount")), cell(o.get("path")), cell(o.get("glob"))))
    md += ["", "## Mounts", ""] + ["- `%s` at `%s`" % (m["name"], m.get("path", "")) for m in c.get("mounts", [])]
    for w in c.get("xnat", []):
        md += ["", "### Wrapper %s" % w["name"], "", w.get("description", ""), "",
               "Contexts: " + ", ".join(w.get("contexts", [])), "", "| Input | Type | From | Provides |", "|---|---|---|---|"]
        for i in w.get("external-inputs", []) + w.get("derived-inputs", []):
            md.append("| `%s` | %s | %s | %s |" % (cell(i["name"]), cell(i.get("type")), cell(i.get("derived-from-wrapper-input")),
                      cell(i.get("provides-value-for-command-input") or i.get("provides-files-for-command-mount"))))
        md += [""] + ["- Output `%s` uploaded as %s `%s` on `%s`" % (h["accepts-command-output"], h.get("type", "Resource"),
                      h.get("label", ""), h.get("as-a-child-of", "")) for h in w.get("output-handlers", [])]
    md += ["", "## Install", "", "```json", json.dumps(c, indent=2), "```", "",
           "```sh", "curl -u \"$XNAT_USER:$XNAT_PASS\" -H 'Content-Type: application/json' --data-binary @command.json \"$XNAT_URL/xapi/commands?image=%s\"" % c.get("image", ""), "```", ""]
    (out / (rec["slug"] + ".md")).write_text("\n".join(md))
PY
cat > "$site/config.toml" <<'EOF'
baseURL = "http://localhost/"
title = "XNAT command catalog"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]
paginate = 100
EOF
cat > "$site/layouts/_default/baseof.html" <<'EOF'
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><header><a href="/">XNAT command catalog</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
EOF
cat > "$site/layouts/_default/single.html" <<'EOF'
{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}
EOF
cat > "$site/layouts/_default/list.html" <<'EOF'
{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range (.Paginate .RegularPagesRecursive).Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Description }}</li>{{ end }}</ol>{{ end }}
EOF
cp "$site/layouts/_default/list.html" "$site/layouts/index.html"
/usr/bin/time -v hugo --quiet --source "$site" --destination "$work/hugo-public" > /dev/null 2> "$work/hugo.time"
hugo_wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/hugo.time")"
hugo_rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/hugo.time")"
hugo_pages="$(find "$work/hugo-public" -name '*.html' | wc -l)"

seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$1"; }
xs="$(seconds "$xcs_wall")"; hs="$(seconds "$hugo_wall")"
echo
echo "== results ($(nproc) cores)"
printf '  load average   : %s before the timed build\n' "$load_before"
printf '  xcs site build : %s commands, %s pages (%s), %s s wall, %s MB peak RSS\n' \
  "$count" "$pages" "$size" "$xs" "$(( xcs_rss / 1024 ))"
printf '  largest page   : %s KB (%s; promise <= 300 KB: %s)\n' "$(( largest / 1024 ))" "${largest_line#* }" \
  "$( ((largest <= 300 * 1024)) && echo met || echo MISSED)"
printf '  hugo           : %s pages, %s s wall, %s MB peak RSS\n' "$hugo_pages" "$hs" "$(( hugo_rss / 1024 ))"
awk -v x="$xs" -v h="$hs" -v m="$(( xcs_rss / 1024 ))" 'BEGIN { printf "  ratio xcs / hugo: %.2f (target for xcs: <= 4 s: %s; <= 300 MB: %s)\n", x / h, (x <= 4 ? "met" : "MISSED"), (m <= 300 ? "met" : "MISSED") }'
