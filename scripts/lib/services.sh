# shellcheck shell=bash
# Service discovery for scripts/test: PostgreSQL, Redis and a headless Chromium.
# Sourced, not run. Each ensure_* function exports the MOMENTIQUE_TEST_* variable(s) for its
# service, or stops the script with a message naming the service and what was tried.
# Throwaway servers live in $MQ_TMP and are stopped by stop_started_services (an EXIT trap).

MQ_TMP=""          # temp dir for throwaway servers and their logs (created on first need)
MQ_PG_DATA=""      # data dir of the PostgreSQL we started, if any
MQ_PG_BIN=""       # bin dir holding that server's pg_ctl
MQ_REDIS_PORT=""   # port of the Redis we started, if any
MQ_APT_UPDATED=""
MQ_WHY=""          # why the last pg_ok / redis_ok probe failed

log() { printf '    %s\n' "$*"; }
redact() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

# Loud failure; under CI no hint, since a CI machine must already have the service.
missing() { # service, what-was-tried, local-hint
  {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! scripts/test: service NOT available: $1"
    echo "!!! tried: $2"
    if [[ "${CI:-}" == true ]]; then
      echo "!!! CI=true: a missing service is a failure; the tests are never skipped."
    else
      echo "!!! hint: $3"
    fi
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  } >&2
  exit 1
}

mq_tmp() {
  if [[ -z "$MQ_TMP" ]]; then
    MQ_TMP="$(mktemp -d "${TMPDIR:-/tmp}/momentique-test.XXXXXX")"
    chmod 755 "$MQ_TMP"   # the postgres OS user must be able to reach its data dir
    mkdir -p "$MQ_TMP/logs"
  fi
}

# Debian packages, only when we are root and have apt-get (never any other download).
apt_install() {
  [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null || return 1
  log "installing Debian package(s): $* (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z "$MQ_APT_UPDATED" ]]; then
    apt-get update -qq >&2 || return 1
    MQ_APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >&2
}

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    return
  fi
  local p
  while :; do # bash-only fallback: a port nothing answers on
    p=$((RANDOM % 20000 + 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# ---------------------------------------------------------------- PostgreSQL
pg_bin_dir() { # newest /usr/lib/postgresql/*/bin that has initdb and pg_ctl
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && echo "$d"
}
pg_ok() { # url: answers, is 15+ and connects as a superuser (else the reason in MQ_WHY)
  MQ_WHY="$(PGCONNECT_TIMEOUT=5 "$MQ_PSQL" -w -X -qAt -d "$1" -c "select
    current_setting('server_version_num')::int >= 150000,
    (select rolsuper from pg_roles where rolname = current_user)" 2>&1 | head -n 1 || true)"
  case "$MQ_WHY" in
    't|t') return 0 ;;
    'f|'*) MQ_WHY="server is older than PostgreSQL 15" ;;
    't|f') MQ_WHY="the user is not a SUPERUSER" ;;
  esac
  return 1
}

ensure_postgres() {
  MQ_PSQL="$(command -v psql || true)"
  [[ -n "$MQ_PSQL" ]] || { apt_install postgresql || true; MQ_PSQL="$(command -v psql || true)"; }
  [[ -n "$MQ_PSQL" ]] || missing PostgreSQL "looking for psql; apt-get install postgresql (needs root)" \
    "install PostgreSQL 15+: sudo apt-get install postgresql (Debian/Ubuntu)"
  local url="${MOMENTIQUE_TEST_POSTGRES_URL:-}" probe="${MOMENTIQUE_TEST_PG_PROBE_PORT:-5432}"
  if [[ -n "$url" ]]; then                                        # (a) given
    pg_ok "$url" || missing PostgreSQL \
      "MOMENTIQUE_TEST_POSTGRES_URL=$(redact "$url") (must answer, be 15+, superuser): $MQ_WHY" \
      "fix or unset MOMENTIQUE_TEST_POSTGRES_URL (unset: scripts/test finds or starts a server)"
    log "PostgreSQL: $(redact "$url") (from MOMENTIQUE_TEST_POSTGRES_URL)"
  elif url="postgres://postgres@127.0.0.1:$probe/postgres" && pg_ok "$url"; then   # (b) running
    log "PostgreSQL: $url (already running, reused)"
  else                                                            # (c) throwaway
    log "PostgreSQL: nothing usable at $url ($MQ_WHY); starting a throwaway server"
    start_postgres
    url="postgres://postgres@127.0.0.1:$MQ_PG_PORT/postgres"
    pg_ok "$url" || missing PostgreSQL "a throwaway server on port $MQ_PG_PORT: $MQ_WHY" \
      "see the server log below"
    log "PostgreSQL: $url (throwaway, $("$MQ_PG_BIN/pg_ctl" --version), stopped on exit)"
  fi
  export MOMENTIQUE_TEST_POSTGRES_URL="$url"
}

as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  MQ_PG_BIN="$(pg_bin_dir || true)"
  [[ -n "$MQ_PG_BIN" ]] || { apt_install postgresql || true; MQ_PG_BIN="$(pg_bin_dir || true)"; }
  [[ -n "$MQ_PG_BIN" ]] || missing PostgreSQL \
    "postgres at 127.0.0.1:${MOMENTIQUE_TEST_PG_PROBE_PORT:-5432} (trust, user postgres); initdb under /usr/lib/postgresql/*/bin; apt-get install postgresql (needs root)" \
    "sudo apt-get install postgresql, or set MOMENTIQUE_TEST_POSTGRES_URL to a superuser URL"
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    missing PostgreSQL "initdb refuses to run as root and there is no 'postgres' OS user" \
      "create one (sudo adduser --system --group postgres) or run as a normal user"
  fi
  mq_tmp
  MQ_PG_PORT="$(free_port)"
  local dir="$MQ_TMP/pg" logf="$MQ_TMP/logs/postgres.log"
  mkdir -m 700 "$dir" && touch "$logf"
  [[ $EUID -eq 0 ]] && chown postgres: "$dir" "$logf"
  as_pg "$MQ_PG_BIN/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$MQ_TMP/logs/initdb.log" 2>&1 || { tail -n 20 "$MQ_TMP/logs/initdb.log" >&2;
      missing PostgreSQL "initdb in $dir/data" "see the initdb output above"; }
  MQ_PG_DATA="$dir/data"
  as_pg "$MQ_PG_BIN/pg_ctl" -w -t 60 -D "$MQ_PG_DATA" -l "$logf" -o "-p $MQ_PG_PORT -k $MQ_PG_DATA \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c listen_addresses=127.0.0.1 \
-c max_connections=200" start >/dev/null || { tail -n 20 "$logf" >&2;
      missing PostgreSQL "pg_ctl start on port $MQ_PG_PORT" "see the server log above"; }
}

# --------------------------------------------------------------------- Redis
redis_ok() { # url: PING answers PONG (else the reason in MQ_WHY)
  MQ_WHY="$(timeout 10 redis-cli --no-auth-warning -u "$1" ping 2>&1 | head -n 1 || true)"
  [[ "$MQ_WHY" == PONG ]]
}

ensure_redis() {
  command -v redis-cli >/dev/null || apt_install redis-server || true
  command -v redis-cli >/dev/null || missing Redis "looking for redis-cli; apt-get install redis-server (needs root)" \
    "install Redis: sudo apt-get install redis-server (Debian/Ubuntu)"
  local url="${MOMENTIQUE_TEST_REDIS_URL:-}" probe="${MOMENTIQUE_TEST_REDIS_PROBE_PORT:-6379}"
  if [[ -n "$url" ]]; then                                        # (a) given
    redis_ok "$url" || missing Redis "MOMENTIQUE_TEST_REDIS_URL=$(redact "$url") (PING must answer PONG): $MQ_WHY" \
      "fix or unset MOMENTIQUE_TEST_REDIS_URL (unset: scripts/test finds or starts a server)"
    log "Redis: $(redact "$url") (from MOMENTIQUE_TEST_REDIS_URL)"
  elif url="redis://127.0.0.1:$probe/" && redis_ok "$url"; then   # (b) running
    log "Redis: $url (already running, reused)"
  else                                                            # (c) throwaway
    log "Redis: nothing answers at $url ($MQ_WHY); starting a throwaway server"
    command -v redis-server >/dev/null || apt_install redis-server || true
    command -v redis-server >/dev/null || missing Redis \
      "PING at 127.0.0.1:$probe; redis-server on PATH; apt-get install redis-server (needs root)" \
      "sudo apt-get install redis-server, or set MOMENTIQUE_TEST_REDIS_URL"
    mq_tmp
    mkdir -p "$MQ_TMP/redis"
    MQ_REDIS_PORT="$(free_port)"
    url="redis://127.0.0.1:$MQ_REDIS_PORT/"
    redis-server --port "$MQ_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$MQ_TMP/redis/redis.pid" --dir "$MQ_TMP/redis" --logfile "$MQ_TMP/logs/redis.log" \
      || missing Redis "redis-server on port $MQ_REDIS_PORT" "see $MQ_TMP/logs/redis.log"
    local _
    for _ in $(seq 50); do redis_ok "$url" && break; sleep 0.2; done
    redis_ok "$url" || { tail -n 20 "$MQ_TMP/logs/redis.log" >&2 || true;
      missing Redis "a throwaway server on port $MQ_REDIS_PORT never answered PING: $MQ_WHY" "see the log above"; }
    log "Redis: $url (throwaway, $(redis-server --version | cut -d' ' -f3), stopped on exit)"
  fi
  export MOMENTIQUE_TEST_REDIS_URL="$url"
}

# ---------------------------------------------------------- headless Chromium
find_browser() {
  local c
  for c in "${MOMENTIQUE_TEST_CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
    [[ -n "$c" ]] && c="$(command -v "$c")" && [[ -x "$c" ]] && { echo "$c"; return; }
  done
  return 1
}

ensure_browser() {
  local what="Chromium and ChromeDriver" browser driver
  if [[ -n "${MOMENTIQUE_TEST_CHROMIUM:-}${MOMENTIQUE_TEST_CHROMEDRIVER:-}" ]]; then
    browser="${MOMENTIQUE_TEST_CHROMIUM:-$(find_browser || true)}"   # given: no fallback, no install
    driver="${MOMENTIQUE_TEST_CHROMEDRIVER:-$(command -v chromedriver || true)}"
    [[ -x "$browser" && -x "$driver" ]] || missing "$what" \
      "MOMENTIQUE_TEST_CHROMIUM='$browser' MOMENTIQUE_TEST_CHROMEDRIVER='$driver' (both must be executables)" \
      "fix or unset MOMENTIQUE_TEST_CHROMIUM / MOMENTIQUE_TEST_CHROMEDRIVER"
  else
    browser="$(find_browser || true)" driver="$(command -v chromedriver || true)"
    if [[ -z "$browser" || -z "$driver" ]]; then
      apt_install chromium chromium-driver || true
      browser="$(find_browser || true)" driver="$(command -v chromedriver || true)"
    fi
    [[ -n "$browser" && -n "$driver" ]] || missing "$what" \
      "chromium/chromium-browser/google-chrome and chromedriver on PATH; apt-get install chromium chromium-driver (needs root)" \
      "sudo apt-get install chromium chromium-driver (Debian), or set MOMENTIQUE_TEST_CHROMIUM and MOMENTIQUE_TEST_CHROMEDRIVER"
  fi
  export MOMENTIQUE_TEST_CHROMIUM="$browser" MOMENTIQUE_TEST_CHROMEDRIVER="$driver"
  log "Chromium: $browser ($("$browser" --version 2>/dev/null | head -n 1 || echo '?'))"
  log "ChromeDriver: $driver ($("$driver" --version 2>/dev/null | cut -d' ' -f1-2 || echo '?'))"
}

# ------------------------------------------------------------ JPEG decoding (libjpeg-turbo)
# The media crate compiles a small C shim over the system libjpeg when its header is there
# (crates/media/build.rs) and decodes JPEGs with it, as production does; without the header it
# falls back to jpeg-decoder. The tests must build the production path: Debian libjpeg62-turbo-dev.
need_libjpeg_header() {
  local found=""
  for h in /usr/include/jpeglib.h /usr/include/*/jpeglib.h; do [[ -f $h ]] && found=$h; done
  if [[ -z $found ]]; then
    apt_install libjpeg62-turbo-dev || true
    for h in /usr/include/jpeglib.h /usr/include/*/jpeglib.h; do [[ -f $h ]] && found=$h; done
  fi
  [[ -n $found ]] || missing "libjpeg's header (JPEG decoding with libjpeg-turbo)" \
    "jpeglib.h under /usr/include; apt-get install libjpeg62-turbo-dev (needs root)" \
    "sudo apt-get install libjpeg62-turbo-dev (Debian/Ubuntu)"
  log "JPEG: libjpeg header $found"
}

# ------------------------------------------------------------ HEIC (libheif)
# The app loads libheif at run time (no headers needed to build); the HEIC tests also need
# heif-enc to make their sample. Debian: libheif1 and libheif-examples.
# libheif.so.1 in the linker cache. The cache is read whole first: `ldconfig -p | grep -q`
# under pipefail fails at random when grep exits early and ldconfig gets SIGPIPE.
have_libheif() {
  local cache
  cache="$(ldconfig -p 2>/dev/null || true)"
  [[ "$cache" == *libheif.so.1* ]]
}

ensure_heic() {
  local what="libheif (HEIC photos) and heif-enc"
  if ! have_libheif || ! command -v heif-enc >/dev/null; then
    apt_install libheif1 libheif-examples || true
  fi
  have_libheif && command -v heif-enc >/dev/null || missing "$what" \
    "libheif.so.1 in the linker cache and heif-enc on PATH; apt-get install libheif1 libheif-examples (needs root)" \
    "sudo apt-get install libheif1 libheif-examples (Debian/Ubuntu)"
  log "HEIC: $(ldconfig -p | grep -m1 'libheif\.so\.1' | sed 's/.*=> //'), heif-enc $(command -v heif-enc)"
}

# ------------------------------------------------------------------- cleanup
stop_started_services() { # rc of the script: on failure, show the tails of the service logs
  local rc="$1" f
  if [[ -n "$MQ_TMP" && "$rc" -ne 0 ]]; then
    for f in "$MQ_TMP"/logs/{postgres,redis}.log; do
      [[ -s "$f" ]] && { echo "--- last lines of $f:"; tail -n 15 "$f"; } >&2
    done
  fi
  if [[ -n "$MQ_REDIS_PORT" ]]; then
    redis-cli -p "$MQ_REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
      kill "$(cat "$MQ_TMP/redis/redis.pid" 2>/dev/null)" 2>/dev/null || true
    log "stopped throwaway Redis on port $MQ_REDIS_PORT"
  fi
  if [[ -n "$MQ_PG_DATA" ]]; then
    as_pg "$MQ_PG_BIN/pg_ctl" -D "$MQ_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    log "stopped throwaway PostgreSQL on port $MQ_PG_PORT"
  fi
  [[ -n "$MQ_TMP" ]] && rm -rf "$MQ_TMP"
  return 0
}
