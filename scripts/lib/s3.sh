# shellcheck shell=bash
# S3-compatible object storage for scripts/test: a real Garage server (SigV4, presigned URLs,
# expiry), so the media crate's S3 tests run against the real protocol.
# Sourced after scripts/lib/services.sh (uses log, missing, mq_tmp, free_port). Not run.
#
#   ensure_s3        exports MOMENTIQUE_TEST_S3_{ENDPOINT,BUCKET,REGION,ACCESS_KEY_ID,SECRET_ACCESS_KEY}
#     (a) those variables if all set (the bucket must answer a signed request; never any fallback),
#     (b) a throwaway Garage on free 127.0.0.1 ports in $MQ_TMP, with one key and one bucket.
#   stop_started_s3  stops the Garage we started (an EXIT trap; before stop_started_services).
#
# The garage binary: $MOMENTIQUE_TEST_GARAGE if set, else `garage` on PATH if it is version
# $MQ_GARAGE_VERSION, else $MQ_TOOLS/garage-$MQ_GARAGE_VERSION/bin/garage, built there once with
#   cargo install --locked garage --version $MQ_GARAGE_VERSION --no-default-features \
#     --features bundled-libs,lmdb --root $MQ_TOOLS/garage-$MQ_GARAGE_VERSION
# (~10 CPU-minutes; outside the checkout, so later runs and CI on this machine reuse it).

MQ_GARAGE_VERSION="2.5.0"
MQ_TOOLS="${MOMENTIQUE_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/momentique/tools}"
MQ_GARAGE=""          # the garage binary in use
MQ_GARAGE_DIR=""      # config, metadata and data of the Garage we started, if any
MQ_GARAGE_PID=""
MQ_S3_PORT=""
MQ_S3_THROWAWAY=""    # 1 when the credentials are our throwaway ones (safe to print)

garage_cli() { "$MQ_GARAGE" -c "$MQ_GARAGE_DIR/garage.toml" "$@"; }

# The pinned garage binary, built into the tool cache when missing.
find_garage() {
  if [[ -n "${MOMENTIQUE_TEST_GARAGE:-}" ]]; then           # given: no fallback, no build
    [[ -x "$MOMENTIQUE_TEST_GARAGE" ]] || missing "S3 (Garage)" \
      "MOMENTIQUE_TEST_GARAGE=$MOMENTIQUE_TEST_GARAGE (must be an executable)" \
      "fix or unset MOMENTIQUE_TEST_GARAGE (unset: scripts/test builds garage $MQ_GARAGE_VERSION once)"
    MQ_GARAGE="$MOMENTIQUE_TEST_GARAGE"
    return
  fi
  local on_path cached="$MQ_TOOLS/garage-$MQ_GARAGE_VERSION/bin/garage"
  on_path="$(command -v garage || true)"
  if [[ -n "$on_path" ]] && "$on_path" --version 2>/dev/null | grep -Eq "(cargo:|v)$MQ_GARAGE_VERSION( |$)"; then
    MQ_GARAGE="$on_path"
    return
  fi
  if [[ ! -x "$cached" ]]; then
    command -v cargo >/dev/null || missing "S3 (Garage)" "cargo, to build garage $MQ_GARAGE_VERSION" \
      "install Rust, or set MOMENTIQUE_TEST_GARAGE to a garage $MQ_GARAGE_VERSION binary"
    mkdir -p "$MQ_TOOLS"
    log "S3: building garage $MQ_GARAGE_VERSION once into $MQ_TOOLS (about 10 CPU-minutes;"
    log "    later runs reuse it; log in $MQ_TOOLS/garage-$MQ_GARAGE_VERSION.build.log)"
    local started=$SECONDS
    # The lock keeps two concurrent runs from building it twice.
    (
      flock 9
      [[ -x "$cached" ]] && exit 0
      cargo install --locked --quiet garage --version "$MQ_GARAGE_VERSION" \
        --no-default-features --features bundled-libs,lmdb \
        --root "$MQ_TOOLS/garage-$MQ_GARAGE_VERSION" \
        >"$MQ_TOOLS/garage-$MQ_GARAGE_VERSION.build.log" 2>&1
    ) 9>"$MQ_TOOLS/garage.lock" || { tail -n 30 "$MQ_TOOLS/garage-$MQ_GARAGE_VERSION.build.log" >&2;
      missing "S3 (Garage)" "cargo install garage $MQ_GARAGE_VERSION (see the build log above)" \
        "fix the build, or set MOMENTIQUE_TEST_GARAGE to a garage $MQ_GARAGE_VERSION binary"; }
    log "S3: built garage in $((SECONDS - started))s"
  fi
  MQ_GARAGE="$cached"
}

# A signed ListObjectsV2 of the bucket (curl's SigV4): proves endpoint, credentials, region and
# bucket all work. Else the reason in MQ_WHY.
s3_ok() {
  local out
  out="$(curl -sS --max-time 10 -o /dev/stderr -w '%{http_code}' \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --aws-sigv4 "aws:amz:$MOMENTIQUE_TEST_S3_REGION:s3" \
    --user "$MOMENTIQUE_TEST_S3_ACCESS_KEY_ID:$MOMENTIQUE_TEST_S3_SECRET_ACCESS_KEY" \
    "${MOMENTIQUE_TEST_S3_ENDPOINT%/}/$MOMENTIQUE_TEST_S3_BUCKET/?list-type=2&max-keys=1" \
    2>"${MQ_TMP:-/tmp}/.s3-probe.$$")" || true
  MQ_WHY="HTTP ${out:-000}: $(grep -o '<Code>[^<]*</Code>\|curl: .*' "${MQ_TMP:-/tmp}/.s3-probe.$$" | head -n 1)"
  rm -f "${MQ_TMP:-/tmp}/.s3-probe.$$"
  [[ "$out" == 200 ]]
}

ensure_s3() {
  command -v curl >/dev/null || apt_install curl || true
  command -v curl >/dev/null || missing "S3 (Garage)" "curl, to probe the S3 server" \
    "sudo apt-get install curl"
  local v given=0
  for v in ENDPOINT BUCKET REGION ACCESS_KEY_ID SECRET_ACCESS_KEY; do
    v="MOMENTIQUE_TEST_S3_$v"
    [[ -n "${!v:-}" ]] && given=$((given + 1))
  done
  if [[ $given -eq 5 ]]; then                                     # (a) given
    s3_ok || missing "S3" \
      "MOMENTIQUE_TEST_S3_ENDPOINT=$MOMENTIQUE_TEST_S3_ENDPOINT bucket $MOMENTIQUE_TEST_S3_BUCKET (a signed list must answer 200): $MQ_WHY" \
      "fix or unset the MOMENTIQUE_TEST_S3_* variables (unset: scripts/test starts Garage)"
    log "S3: $MOMENTIQUE_TEST_S3_ENDPOINT bucket $MOMENTIQUE_TEST_S3_BUCKET (from MOMENTIQUE_TEST_S3_*)"
    return
  elif [[ $given -ne 0 ]]; then
    missing "S3" "MOMENTIQUE_TEST_S3_*: only $given of the 5 variables are set" \
      "set all of ENDPOINT, BUCKET, REGION, ACCESS_KEY_ID, SECRET_ACCESS_KEY, or none"
  fi
  find_garage                                                     # (b) throwaway
  start_garage
  log "S3: $MOMENTIQUE_TEST_S3_ENDPOINT bucket $MOMENTIQUE_TEST_S3_BUCKET (throwaway Garage $MQ_GARAGE_VERSION, stopped on exit)"
}

start_garage() {
  mq_tmp
  MQ_GARAGE_DIR="$MQ_TMP/garage"
  mkdir -p "$MQ_GARAGE_DIR/meta" "$MQ_GARAGE_DIR/data"
  MQ_S3_PORT="$(free_port)"
  local rpc_port admin_port region=garage bucket=momentique-test logf="$MQ_TMP/logs/garage.log"
  rpc_port="$(free_port)" admin_port="$(free_port)"
  cat >"$MQ_GARAGE_DIR/garage.toml" <<EOF
metadata_dir = "$MQ_GARAGE_DIR/meta"
data_dir = "$MQ_GARAGE_DIR/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "$region"
api_bind_addr = "127.0.0.1:$MQ_S3_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
EOF
  RUST_LOG="${MOMENTIQUE_TEST_GARAGE_LOG:-garage=warn}" "$MQ_GARAGE" -c "$MQ_GARAGE_DIR/garage.toml" \
    server >"$logf" 2>&1 &
  MQ_GARAGE_PID=$!
  local _ node=""
  for _ in $(seq 100); do
    node="$(garage_cli node id -q 2>/dev/null)" && break
    kill -0 "$MQ_GARAGE_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$node" ]] || { tail -n 20 "$logf" >&2;
    missing "S3 (Garage)" "garage server on port $MQ_S3_PORT never answered 'garage node id'" "see the log above"; }
  # One node holding everything, a key with known values, and a bucket it owns.
  local key_id secret
  key_id="GK$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  {
    garage_cli layout assign -z dc1 -c 1G "${node%%@*}" &&
      garage_cli layout apply --version 1 &&
      garage_cli key import --yes -n momentique-test "$key_id" "$secret" &&
      garage_cli bucket create "$bucket" &&
      garage_cli bucket allow --read --write --owner "$bucket" --key "$key_id"
  } >"$MQ_TMP/logs/garage-setup.log" 2>&1 || { tail -n 20 "$MQ_TMP/logs/garage-setup.log" >&2;
    missing "S3 (Garage)" "setting up the layout, key and bucket with the garage CLI" "see the output above"; }
  export MOMENTIQUE_TEST_S3_ENDPOINT="http://127.0.0.1:$MQ_S3_PORT" \
    MOMENTIQUE_TEST_S3_BUCKET="$bucket" MOMENTIQUE_TEST_S3_REGION="$region" \
    MOMENTIQUE_TEST_S3_ACCESS_KEY_ID="$key_id" MOMENTIQUE_TEST_S3_SECRET_ACCESS_KEY="$secret"
  MQ_S3_THROWAWAY=1
  # The layout takes a moment to reach the S3 API; wait for a signed request to succeed.
  for _ in $(seq 100); do s3_ok && break; sleep 0.1; done
  s3_ok || { tail -n 20 "$logf" >&2;
    missing "S3 (Garage)" "a signed request to the throwaway Garage on port $MQ_S3_PORT: $MQ_WHY" "see the log above"; }
}

stop_started_s3() { # rc of the script: on failure, show the tail of the Garage log
  local rc="$1"
  [[ -n "$MQ_GARAGE_PID" ]] || return 0
  if [[ "$rc" -ne 0 && -s "$MQ_TMP/logs/garage.log" ]]; then
    { echo "--- last lines of $MQ_TMP/logs/garage.log:"; tail -n 15 "$MQ_TMP/logs/garage.log"; } >&2
  fi
  kill "$MQ_GARAGE_PID" 2>/dev/null || true
  local _
  for _ in $(seq 50); do kill -0 "$MQ_GARAGE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$MQ_GARAGE_PID" 2>/dev/null || true
  wait "$MQ_GARAGE_PID" 2>/dev/null || true
  log "stopped throwaway Garage on port $MQ_S3_PORT"
  MQ_GARAGE_PID=""
}
