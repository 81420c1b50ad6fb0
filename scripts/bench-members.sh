#!/usr/bin/env bash
# Member import and export of 100k members on the embedded database:
# wall time and peak RSS of each `gatehouse` command (GNU time).
#   scripts/bench-members.sh [members]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -p gatehouse --quiet
bin=target/release/gatehouse
url="sqlite://$work/gatehouse.db"
GATEHOUSE_OWNER_PASSWORD='bench-password-1' $bin bootstrap --org-name Bench --org-domain bench \
  --owner-email owner@bench.example --database-url "$url" > /dev/null
python3 - "$count" > "$work/members.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("email,name,image,password_flow,role_id,group_ids,credential_token,backup_credential_token")
for i in range(n):
    print(f"member{i}@bench.example,Member {i},,,,,,")
PY
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out"
  read -r seconds kb < "$work/time"
  printf '%-28s %8.2f s  %6d MB peak RSS   %s\n' "$label" "$seconds" $((kb / 1024)) "$(head -1 "$work/out")"
}
echo "members: $count"
measure "import (CSV, $count rows)" $bin members import --database-url "$url" --org-domain bench "$work/members.csv"
measure "export CSV" $bin members export --database-url "$url" --org-domain bench --format csv --output "$work/out.csv"
measure "export XLSX" $bin members export --database-url "$url" --org-domain bench --format xlsx --output "$work/out.xlsx"
measure "import again (no changes)" $bin members import --database-url "$url" --org-domain bench "$work/members.csv"
