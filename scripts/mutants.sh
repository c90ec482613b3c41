#!/usr/bin/env bash
# Do the tests notice a broken report? Each line below breaks one built-in
# report in a small way (a visitor rule, an ordering, a time zone, a filter);
# the handler's tests (the GoAccess and independent-query oracles) must fail
# for every one. Run after `make test` (it needs .tools/bin/versitygw and
# goaccess). Restores every file it touches; exits 1 if a mutant survives.
set -uo pipefail
cd "$(dirname "$0")/.."
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p')
export LAMBDUCK_VERSITYGW="$PWD/.tools/bin/versitygw" LAMBDUCK_INTEGRATION=1

B=internal/report/builtin
mutants=(
  "$B/access_summary.sql|count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499)|count(DISTINCT (client_ip, date, user_agent))"
  "$B/access_summary.sql|count(*) FILTER (WHERE status BETWEEN 500 AND 599)|count(*) FILTER (WHERE status > 500)"
  "$B/access_summary.sql|count(DISTINCT path)|count(DISTINCT path) - 1"
  "$B/access_daily.sql|FILTER (WHERE status NOT BETWEEN 400 AND 499)|FILTER (WHERE status NOT BETWEEN 400 AND 404)"
  "$B/access_daily.sql|ORDER BY date|ORDER BY hits"
  "$B/status_codes.sql|ORDER BY status|ORDER BY hits"
  "$B/top_paths.sql|(client_ip, date, user_agent)|(client_ip, user_agent)"
  "$B/top_paths.sql|ORDER BY hits DESC, path|ORDER BY hits DESC, path DESC"
  "$B/not_found.sql|WHERE status = 404|WHERE status >= 404"
  "$B/not_found.sql|ORDER BY hits DESC, path|ORDER BY path"
  "$B/referrers.sql|ORDER BY hits DESC, referrer|ORDER BY hits, referrer"
  "$B/hourly.sql|hour(ts) AS hour|hour(timezone('UTC', ts)) AS hour"
  "$B/hourly.sql|(client_ip, date, user_agent)|(client_ip, user_agent)"
)
survived=0
for m in "${mutants[@]}"; do
  IFS='|' read -r file old new <<<"$m"
  cp "$file" "$file.orig"
  if ! OLD="$old" NEW="$new" perl -0pi -e 'my ($o, $n) = ($ENV{OLD}, $ENV{NEW}); s/\Q$o\E/$n/ or die "pattern not found\n"' "$file"; then
    mv "$file.orig" "$file"; echo "BAD MUTANT (pattern not found): $file: $old"; survived=1; continue
  fi
  if go test -count=1 ./internal/handler/ >/dev/null 2>&1; then
    echo "SURVIVED: $file: $old -> $new"; survived=1
  else
    echo "caught:   $file: $old -> $new"
  fi
  mv "$file.orig" "$file"
done
exit $survived
