#!/usr/bin/env bash
# bench/http.sh — HTTP throughput of sanad against nginx serving a static file of the same
# body size, measured with wrk on loopback. Run by `make bench`; see bench/README.md.
#
# Environment:
#   BENCH_DURATION      seconds per measured run          (default 10)
#   BENCH_CONNECTIONS   wrk connections                   (default 64)
#   BENCH_THREADS       wrk threads                       (default 2)
#   BENCH_WARMUP        seconds of warm-up before each run (default 2)
#   BENCH_SANAD_THREADS sanad --threads (default: sanad's own default)
#   BENCH_KEEP=1        keep the temporary directory (logs, config) for inspection
#   SANAD               path of the sanad binary          (default ${BUILD:-build}/sanad)
#
# Exit status: 0 once the benchmarks ran, whatever the figures; non-zero when setup fails.
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WARMUP=${BENCH_WARMUP:-2}
SANAD_THREADS=${BENCH_SANAD_THREADS:-}
SANAD=${SANAD:-${BUILD:-build}/sanad}
GOAL_PCT=50

die() { echo "bench: $*" >&2; exit 1; }

for v in DURATION CONNECTIONS THREADS WARMUP; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number (got '${!v}')"
done
[[ -z $SANAD_THREADS || $SANAD_THREADS =~ ^[1-9][0-9]*$ ]] ||
    die "BENCH_SANAD_THREADS must be a positive number (got '$SANAD_THREADS')"
((DURATION > 0 && CONNECTIONS > 0 && THREADS > 0)) || die "duration, connections and threads must be > 0"
((THREADS <= CONNECTIONS)) || die "BENCH_THREADS ($THREADS) must not exceed BENCH_CONNECTIONS ($CONNECTIONS)"

# --- 1. tools --------------------------------------------------------------------------------
find_nginx() {
    command -v nginx 2>/dev/null && return 0
    [[ -x /usr/sbin/nginx ]] && { echo /usr/sbin/nginx; return 0; }
    return 1
}

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
find_nginx >/dev/null || need+=(nginx)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
    SUDO=
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing ${need[*]} and no sudo to install them"
        SUDO=sudo
    fi
    pkgs=()
    for t in "${need[@]}"; do
        case $t in
            nginx) pkgs+=(nginx-light) ;;
            *) pkgs+=("$t") ;;
        esac
    done
    echo "bench: installing ${pkgs[*]} ..." >&2
    apt_install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
    if ! apt_install "${pkgs[@]}" 2>/dev/null; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
            die "apt-get update failed"
        # nginx-light is gone from newer Debian releases: fall back to plain nginx.
        apt_install "${pkgs[@]}" 2>/dev/null ||
            apt_install "${pkgs[@]/nginx-light/nginx}" ||
            die "could not install ${pkgs[*]}"
    fi
fi
command -v wrk >/dev/null 2>&1 || die "wrk not found"
command -v curl >/dev/null 2>&1 || die "curl not found"
NGINX=$(find_nginx) || die "nginx not found"

# --- 2. sanad binary -------------------------------------------------------------------------
[[ -x $SANAD ]] || die "$SANAD not found: build it first with 'make' (or run 'make bench')"

# --- cleanup ---------------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sanad-bench.XXXXXX")
SANAD_PID=
NGINX_PID=
WRK_PID=

stop() { # stop PID: SIGTERM, then SIGKILL after 5 s
    local pid=$1 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop "$WRK_PID"
    stop "$SANAD_PID"
    stop "$NGINX_PID"
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        echo "bench: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# nginx workers may run as an unprivileged user (when started as root): let them reach www/.
chmod 711 "$TMP"

# --- 3. sanad --------------------------------------------------------------------------------
# sanad's files (database, keys) stay private in a 0700 directory.
mkdir -m 700 "$TMP/sanad" "$TMP/sanad/data"
DB="sqlite:$TMP/sanad/sanad.db"
EMAIL=bench@bench.invalid
PASSWORD="bench-$RANDOM$RANDOM-password"
printf '%s\n' "$PASSWORD" |
    "$SANAD" user add --db "$DB" --email "$EMAIL" --name Bench --role agent >"$TMP/user-add.log" 2>&1 ||
    { cat "$TMP/user-add.log" >&2; die "could not create the benchmark user"; }

serve_args=(serve --listen 127.0.0.1:0 --db "$DB" --data "$TMP/sanad/data" --access-log 0)
[[ -n $SANAD_THREADS ]] && serve_args+=(--threads "$SANAD_THREADS")
"$SANAD" "${serve_args[@]}" >"$TMP/sanad.out" 2>"$TMP/sanad.err" &
SANAD_PID=$!

SANAD_URL=
for ((i = 0; i < 150; i++)); do
    SANAD_URL=$(grep -om1 'http://127\.0\.0\.1:[0-9]*' "$TMP/sanad.out" || true)
    [[ -n $SANAD_URL ]] && break
    kill -0 "$SANAD_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $SANAD_URL ]]; then
    cat "$TMP/sanad.out" "$TMP/sanad.err" >&2 || true
    die "sanad did not start"
fi

login_body=$(printf '{"email":"%s","password":"%s"}' "$EMAIL" "$PASSWORD")
status=$(curl -sS -o "$TMP/login.json" -w '%{http_code}' -c "$TMP/cookies" \
    -H 'Content-Type: application/json' --data-binary "$login_body" \
    "$SANAD_URL/api/v1/auth/login") || die "login request failed"
[[ $status == 200 ]] || { cat "$TMP/login.json" >&2; echo >&2; die "login returned HTTP $status"; }
SESSION=$(awk '$6 == "sanad_session" { print $7 }' "$TMP/cookies")
[[ -n $SESSION ]] || die "login set no sanad_session cookie"
COOKIE="Cookie: sanad_session=$SESSION"

status=$(curl -sS -o "$TMP/me.json" -w '%{http_code}' -H "$COOKIE" "$SANAD_URL/api/v1/me") ||
    die "GET /api/v1/me failed"
[[ $status == 200 ]] || die "GET /api/v1/me returned HTTP $status"
ME_BYTES=$(wc -c <"$TMP/me.json")
((ME_BYTES > 0)) || die "GET /api/v1/me returned an empty body"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$SANAD_URL/healthz") || die "GET /healthz failed"
[[ $status == 200 ]] || die "GET /healthz returned HTTP $status"

# --- 4. nginx --------------------------------------------------------------------------------
# The static file is a copy of a real /api/v1/me body, so both bodies have the same size.
mkdir -p "$TMP/www" "$TMP/nginx-tmp"
cp "$TMP/me.json" "$TMP/www/me.json"
chmod 755 "$TMP/www"
chmod 644 "$TMP/www/me.json"
[[ $(wc -c <"$TMP/www/me.json") -eq $ME_BYTES ]] || die "static file size mismatch"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_nginx_conf() {
    local port=$1 wc=$((CONNECTIONS * 2 + 256))
    ((wc < 1024)) && wc=1024
    cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections $wc; }
http {
    access_log off;
    default_type application/json;
    client_body_temp_path $TMP/nginx-tmp/body;
    proxy_temp_path $TMP/nginx-tmp/proxy;
    fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx-tmp/uwsgi;
    scgi_temp_path $TMP/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $TMP/www;
        location / { }
    }
}
EOF
}

NGINX_URL=
for ((attempt = 0; attempt < 10; attempt++)); do
    [[ -n $NGINX_URL ]] && break
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    write_nginx_conf "$port"
    "$NGINX" -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf" \
        >"$TMP/nginx.out" 2>&1 &
    NGINX_PID=$!
    for ((i = 0; i < 50; i++)); do
        kill -0 "$NGINX_PID" 2>/dev/null || break
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/me.json" || true) == 200 ]]; then
            NGINX_URL="http://127.0.0.1:$port"
            break
        fi
        sleep 0.1
    done
    if [[ -z $NGINX_URL ]]; then
        stop "$NGINX_PID"
        NGINX_PID=
        grep -q 'Address already in use' "$TMP/nginx-error.log" "$TMP/nginx.out" 2>/dev/null ||
            { cat "$TMP/nginx.out" "$TMP/nginx-error.log" >&2 2>/dev/null || true; die "nginx did not start"; }
    fi
done
[[ -n $NGINX_URL ]] || die "found no free port for nginx"
cmp -s "$TMP/me.json" <(curl -sS "$NGINX_URL/me.json") || die "nginx serves a different body"

# --- 5. wrk ----------------------------------------------------------------------------------
NAMES=() RPS=() P50=() P99=() ERRS=() # per target, in run order
LOAD0=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")
# bg_wrk ARGS...: wrk with the common options, run in the background and waited for, so that
# a SIGTERM/SIGINT to this script is handled at once rather than when wrk ends.
bg_wrk() {
    local rc=0
    wrk -t"$THREADS" -c"$CONNECTIONS" "$@" &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=
    return "$rc"
}
# run_wrk NAME URL [wrk args...]: warm up, then measure; appends to the arrays above.
run_wrk() {
    local name=$1 url=$2 out="$TMP/wrk-${#NAMES[@]}.txt"
    shift 2
    echo "bench: $name — warm-up ${WARMUP}s, then ${DURATION}s" >&2
    if ((WARMUP > 0)); then
        bg_wrk -d"${WARMUP}s" "$@" "$url" >/dev/null 2>&1 || die "wrk warm-up against $name failed"
    fi
    bg_wrk -d"${DURATION}s" --latency "$@" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; die "wrk against $name failed"; }
    local rps p50 p99 non2xx sockerr errs=
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p50=$(awk '$1 == "50%" { print $2; exit }' "$out")
    p99=$(awk '$1 == "99%" { print $2; exit }' "$out")
    non2xx=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); print $2 }' "$out")
    sockerr=$(sed -n 's/^ *Socket errors: *//p' "$out")
    [[ -n $rps && -n $p50 && -n $p99 ]] || { cat "$out" >&2; die "could not read wrk's output for $name"; }
    [[ -n $non2xx ]] && errs="non-2xx/3xx: $non2xx"
    [[ -n $sockerr ]] && errs="${errs:+$errs; }socket errors: $sockerr"
    NAMES+=("$name")
    RPS+=("$rps")
    P50+=("$p50")
    P99+=("$p99")
    ERRS+=("$errs")
}

run_wrk "nginx static ($ME_BYTES B)" "$NGINX_URL/me.json"
run_wrk "sanad /healthz" "$SANAD_URL/healthz"
run_wrk "sanad /api/v1/me" "$SANAD_URL/api/v1/me" -H "$COOKIE"

# --- 6. report -------------------------------------------------------------------------------
echo
printf 'wrk: %s threads, %s connections, %ss per run (after %ss warm-up); sanad threads: %s; %s cores, load average %s at start\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$WARMUP" "${SANAD_THREADS:-default}" "$(nproc 2>/dev/null || echo '?')" "$LOAD0"
printf '%-26s %12s %10s %10s %9s\n' target 'requests/s' p50 p99 'vs nginx'
printf '%-26s %12s %10s %10s %9s\n' ------ ---------- --- --- --------
base=${RPS[0]}
for i in "${!NAMES[@]}"; do
    ratio=$(awk -v a="${RPS[i]}" -v b="$base" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
    printf '%-26s %12s %10s %10s %9s\n' "${NAMES[i]}" "${RPS[i]}" "${P50[i]}" "${P99[i]}" "$ratio"
done
warned=0
for i in "${!NAMES[@]}"; do
    if [[ -n ${ERRS[i]} ]]; then
        echo "WARNING: ${NAMES[i]}: ${ERRS[i]}"
        warned=1
    fi
done
((warned)) && echo "WARNING: requests/s above counts failed requests too"
echo
me_pct=$(awk -v a="${RPS[2]}" -v b="$base" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }')
echo "/api/v1/me at ${me_pct}% of nginx (goal ≥ ${GOAL_PCT}%)"
exit 0
