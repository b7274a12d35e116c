# shellcheck shell=bash
# A real SMTP server for scripts/test: aiosmtpd (PyPI), which delivers every message it accepts
# into a Maildir, where the tests read it back (test_support::wait_for_mail).
# Sourced after scripts/lib/services.sh (uses log, missing, mq_tmp, free_port, apt_install). Not run.
#
#   ensure_smtp        exports MOMENTIQUE_TEST_SMTP_URL (smtp://127.0.0.1:PORT) and
#                      MOMENTIQUE_TEST_SMTP_MAILDIR (the Maildir the server delivers into)
#     (a) both variables if set (the server must greet on that port and the Maildir must exist;
#         never any fallback),
#     (b) a throwaway `python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`
#         on a free port, its Maildir in $MQ_TMP.
#   stop_started_smtp  stops the aiosmtpd we started (an EXIT trap).
#
# aiosmtpd $MQ_AIOSMTPD_VERSION is installed once into a venv, $MQ_TOOLS/aiosmtpd
# (python3 -m venv, then pip install aiosmtpd==$MQ_AIOSMTPD_VERSION), and reused by later runs;
# Debian's python3 and python3-venv come from apt-get when root and missing.

MQ_AIOSMTPD_VERSION="1.4.6"
MQ_TOOLS="${MQ_TOOLS:-${MOMENTIQUE_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/momentique/tools}}"
MQ_AIOSMTPD_PY=""   # the venv's python, with aiosmtpd installed
MQ_SMTP_PID=""      # the aiosmtpd we started, if any
MQ_SMTP_PORT=""

# The first line the server at host $1, port $2 says (an SMTP server greets with 220), within
# 10 s. A subshell, so a refused connection is a plain failure.
smtp_greeting() {
  timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1
    IFS= read -r -t 8 line <&3 || exit 1
    printf "QUIT\r\n" >&3
    printf "%s" "$line"' _ "$1" "$2" 2>/dev/null | tr -d '\r'
}

# url: the server answers (else the reason in MQ_WHY). smtps:// is only checked to accept a
# connection: its greeting comes after the TLS handshake.
smtp_ok() {
  local url="$1" rest host port scheme greeting
  scheme="${url%%://*}"
  rest="${url#*://}"
  rest="${rest##*@}"     # drop user:password@
  rest="${rest%%[/?]*}"  # drop /path and ?query
  host="${rest%:*}" port="${rest##*:}"
  [[ "$rest" == *:* ]] || { host="$rest"; [[ "$scheme" == smtps ]] && port=465 || port=25; }
  case "$scheme" in
    smtp) ;;
    smtps)
      timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null && return 0
      MQ_WHY="nothing accepts connections on $host:$port"
      return 1 ;;
    *) MQ_WHY="not an smtp:// or smtps:// URL"; return 1 ;;
  esac
  greeting="$(smtp_greeting "$host" "$port" || true)"
  [[ "$greeting" == 220* ]] && return 0
  MQ_WHY="no SMTP greeting from $host:$port${greeting:+ (it said: $greeting)}"
  return 1
}

aiosmtpd_version() { # python: the aiosmtpd version importable there, or nothing
  "$1" -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null || true
}

# The venv's python with the pinned aiosmtpd, installed into the tool cache when missing.
find_aiosmtpd() {
  local venv="$MQ_TOOLS/aiosmtpd" log="$MQ_TOOLS/aiosmtpd.install.log"
  if [[ -x "$venv/bin/python3" && "$(aiosmtpd_version "$venv/bin/python3")" == "$MQ_AIOSMTPD_VERSION" ]]; then
    MQ_AIOSMTPD_PY="$venv/bin/python3"
    return
  fi
  command -v python3 >/dev/null || apt_install python3 || true
  command -v python3 >/dev/null || missing "SMTP (aiosmtpd)" "python3 on PATH; apt-get install python3 (needs root)" \
    "install Python 3 (sudo apt-get install python3 python3-venv), or set MOMENTIQUE_TEST_SMTP_URL and MOMENTIQUE_TEST_SMTP_MAILDIR"
  python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv || true
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing "SMTP (aiosmtpd)" \
    "python3 -m venv (the venv and ensurepip modules); apt-get install python3-venv (needs root)" \
    "sudo apt-get install python3-venv"
  mkdir -p "$MQ_TOOLS"
  log "SMTP: installing aiosmtpd $MQ_AIOSMTPD_VERSION once into $venv (pip; log in $log)"
  # The lock keeps two concurrent runs from installing it twice.
  (
    flock 9
    [[ -x "$venv/bin/python3" && "$(aiosmtpd_version "$venv/bin/python3")" == "$MQ_AIOSMTPD_VERSION" ]] && exit 0
    python3 -m venv --clear "$venv" &&
      "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check \
        "aiosmtpd==$MQ_AIOSMTPD_VERSION"
  ) 9>"$MQ_TOOLS/aiosmtpd.lock" >"$log" 2>&1 || { tail -n 20 "$log" >&2;
    missing "SMTP (aiosmtpd)" "python3 -m venv $venv; pip install aiosmtpd==$MQ_AIOSMTPD_VERSION (see the log above)" \
      "fix the install, or set MOMENTIQUE_TEST_SMTP_URL and MOMENTIQUE_TEST_SMTP_MAILDIR"; }
  [[ "$(aiosmtpd_version "$venv/bin/python3")" == "$MQ_AIOSMTPD_VERSION" ]] || missing "SMTP (aiosmtpd)" \
    "aiosmtpd $MQ_AIOSMTPD_VERSION importable from $venv/bin/python3 after installing it" "see $log"
  MQ_AIOSMTPD_PY="$venv/bin/python3"
}

ensure_smtp() {
  local url="${MOMENTIQUE_TEST_SMTP_URL:-}" maildir="${MOMENTIQUE_TEST_SMTP_MAILDIR:-}"
  if [[ -n "$url" || -n "$maildir" ]]; then                      # (a) given
    [[ -n "$url" && -n "$maildir" ]] || missing "SMTP" \
      "only one of MOMENTIQUE_TEST_SMTP_URL and MOMENTIQUE_TEST_SMTP_MAILDIR is set" \
      "set both (the server's URL and the Maildir it delivers into), or neither"
    smtp_ok "$url" || missing "SMTP" "MOMENTIQUE_TEST_SMTP_URL=$(redact "$url"): $MQ_WHY" \
      "fix or unset MOMENTIQUE_TEST_SMTP_URL and MOMENTIQUE_TEST_SMTP_MAILDIR (unset: scripts/test starts aiosmtpd)"
    [[ -d "$maildir" ]] || missing "SMTP" "MOMENTIQUE_TEST_SMTP_MAILDIR=$maildir (must be a folder)" \
      "point it at the Maildir the server delivers into"
    log "SMTP: $(redact "$url"), Maildir $maildir (from MOMENTIQUE_TEST_SMTP_*)"
  else                                                            # (b) throwaway
    find_aiosmtpd
    start_aiosmtpd
    url="smtp://127.0.0.1:$MQ_SMTP_PORT" maildir="$MQ_TMP/maildir"
    log "SMTP: $url, Maildir $maildir (throwaway aiosmtpd $MQ_AIOSMTPD_VERSION, stopped on exit)"
  fi
  export MOMENTIQUE_TEST_SMTP_URL="$url" MOMENTIQUE_TEST_SMTP_MAILDIR="$maildir"
}

start_aiosmtpd() {
  mq_tmp
  MQ_SMTP_PORT="$(free_port)"
  local dir="$MQ_TMP/maildir" logf="$MQ_TMP/logs/smtp.log" _
  "$MQ_AIOSMTPD_PY" -m aiosmtpd -n -l "127.0.0.1:$MQ_SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$dir" \
    >"$logf" 2>&1 &
  MQ_SMTP_PID=$!
  for _ in $(seq 100); do
    smtp_ok "smtp://127.0.0.1:$MQ_SMTP_PORT" && [[ -d "$dir/new" ]] && return 0
    kill -0 "$MQ_SMTP_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$logf" >&2 || true
  missing "SMTP (aiosmtpd)" "a throwaway aiosmtpd on 127.0.0.1:$MQ_SMTP_PORT never greeted (or made no Maildir): $MQ_WHY" \
    "see the log above"
}

stop_started_smtp() { # rc of the script: on failure, show the tail of the aiosmtpd log
  local rc="$1" _
  [[ -n "$MQ_SMTP_PID" ]] || return 0
  if [[ "$rc" -ne 0 && -s "$MQ_TMP/logs/smtp.log" ]]; then
    { echo "--- last lines of $MQ_TMP/logs/smtp.log:"; tail -n 15 "$MQ_TMP/logs/smtp.log"; } >&2
  fi
  kill "$MQ_SMTP_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$MQ_SMTP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$MQ_SMTP_PID" 2>/dev/null || true
  wait "$MQ_SMTP_PID" 2>/dev/null || true
  log "stopped throwaway aiosmtpd on port $MQ_SMTP_PORT"
  MQ_SMTP_PID=""
}
