#!/usr/bin/env bash
# Test bed for foid integration tests: real Dovecot (IMAP + LMTP), Postfix (SMTP MX +
# submission, delivering to Dovecot over LMTP) and PostgreSQL, all on loopback high ports,
# all state inside one directory. See README.md beside this file.
#
#   testbed.sh install            install the Debian packages that are missing (root)
#   testbed.sh start DIR          start everything in the empty directory DIR
#   testbed.sh stop DIR           stop everything started in DIR (idempotent)
#   testbed.sh stop-imap DIR      stop Dovecot only
#   testbed.sh start-imap DIR     start Dovecot again (same ports and config)
#   testbed.sh stop-pg DIR        stop PostgreSQL only (fast shutdown)
#   testbed.sh start-pg DIR       start PostgreSQL again (same port and data)
#   testbed.sh stop-smtp DIR      stop Postfix only
#   testbed.sh start-smtp DIR     start Postfix again (same ports and config)
#   testbed.sh stop-oauth DIR     stop the OAuth provider only
#   testbed.sh start-oauth DIR    start it again (same port and clients; tokens are lost)
#   testbed.sh oauth-secret DIR S give the client `foid` the secret S (the old one is
#                                 revoked) and restart the provider
#   testbed.sh status DIR         print which servers are running
#
# FOID_TB_OAUTH_TTL (seconds, default 3600) is the lifetime of the access tokens the
# OAuth provider issues.
# FOID_TB_LAYOUT=courier starts Dovecot as Courier and Cyrus lay folders out: personal
# folders under the namespace prefix `INBOX.`, and no MOVE capability.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd -P)

DOMAIN=council.test
PASSWORD=testbed-pw
PG_USER=foid
PG_DB=foid_test
USERS="foi@council.test officer1@council.test officer2@council.test manager@council.test
clerk@council.test
alice@public.test bob@public.test carol@public.test foi@whatdotheyknow.com
dora@public.test resident@public.test offers@public.test prize@public.test
helpdesk@public.test digest@public.test fbl@public.test"
PACKAGES="dovecot-imapd dovecot-lmtpd postfix postgresql openssl"
PGCACHE_ROOT=/var/tmp/foid-testbed-pgcache
# The OAuth provider's npm packages, installed once per version of oauth-package.json.
OAUTH_ROOT=/var/tmp/foid-testbed-oauth
OAUTH_SECRET=testbed-oauth-secret
OAUTH_DOVECOT_SECRET=testbed-dovecot-introspection
OAUTH_SCOPES='"mail", "https://outlook.office365.com/.default", "https://mail.google.com/"'
# Held while picking ports and starting, so test beds started in parallel see each
# other's listeners and never pick the same port.
PORT_LOCK=/tmp/foid-testbed-ports.lock
WAIT_SECS=${FOID_TB_WAIT_SECS:-20}

die() { echo "testbed: $*" >&2; exit 1; }
log() { echo "testbed: $*" >&2; }

# ---------------------------------------------------------------------------- install

missing_packages() {
    local p out=""
    for p in $PACKAGES; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            out="$out $p"
        fi
    done
    echo "${out# }"
}

# A system-wide instance counts as running if its pid file names a live process.
system_running() {
    local f
    case $1 in
        dovecot) f=/run/dovecot/master.pid ;;
        postfix) f=/var/spool/postfix/pid/master.pid ;;
        postgresql) f=$(ls /var/run/postgresql/*.pid 2>/dev/null | head -n1 || true) ;;
    esac
    [ -n "$f" ] && [ -r "$f" ] && alive "$(head -n1 "$f" | tr -d ' ')"
}

oauth_modules() { echo "$OAUTH_ROOT/$(sha256sum "$HERE/oauth-package.json" | cut -c1-16)"; }

# The OAuth provider: oidc-provider from the npm registry, run by the machine's Node.js.
install_oauth() {
    local d tmp
    d=$(oauth_modules)
    [ -f "$d/node_modules/oidc-provider/package.json" ] && return 0
    command -v node >/dev/null && command -v npm >/dev/null ||
        die "Node.js and npm are needed for the test bed's OAuth provider"
    log "installing the OAuth provider (npm oidc-provider) into $d"
    mkdir -p "$OAUTH_ROOT"
    tmp=$(mktemp -d "$OAUTH_ROOT/build.XXXXXX")
    cp "$HERE/oauth-package.json" "$tmp/package.json"
    if ! (cd "$tmp" && npm install --no-audit --no-fund --omit=dev) </dev/null >"$tmp/npm.log" 2>&1; then
        cat "$tmp/npm.log" >&2; rm -rf "$tmp"; die "npm install of the OAuth provider failed"
    fi
    chmod -R a+rX "$tmp"
    mv -T "$tmp" "$d" 2>/dev/null || rm -rf "$tmp"
    [ -f "$d/node_modules/oidc-provider/package.json" ] || die "could not populate $d"
}

cmd_install() {
    local missing before="" s policy_made=""
    install_oauth
    missing=$(missing_packages)
    if [ -z "$missing" ]; then
        log "all packages present ($PACKAGES)"
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "missing packages: $missing; run '$0 install' as root"
    for s in dovecot postfix postgresql; do
        if system_running "$s"; then before="$before $s"; fi
    done
    # Keep services from starting on install (Docker-style images already ship this).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_made=1
    fi
    echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
    log "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -q >/dev/null; then
        log "apt-get update failed; trying the install anyway"
    fi
    local rc=0
    apt-get install -y -q --no-install-recommends $missing </dev/null || rc=$?
    [ -n "$policy_made" ] && rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || die "apt-get install failed ($rc)"
    # Stop any system instance the install started anyway (we use our own instances).
    for s in dovecot postfix postgresql; do
        case " $before " in *" $s "*) continue ;; esac
        if system_running "$s" && [ -x "/etc/init.d/$s" ]; then
            log "stopping system-wide $s started by the package install"
            "/etc/init.d/$s" stop </dev/null >/dev/null 2>&1 || true
        fi
    done
    missing=$(missing_packages)
    [ -z "$missing" ] || die "still missing after install: $missing"
}

# ---------------------------------------------------------------------------- helpers

# Alive = /proc entry exists and is not a zombie. kill -0 succeeds on zombies, and
# init here reaps orphans slowly, so a kill -0 loop would wait needlessly.
alive() {
    local pid=$1 stat state
    [ -n "$pid" ] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    state=${stat##*) }
    state=${state%% *}
    [ "$state" != Z ]
}

# Executable name of a pid, to avoid signalling a recycled pid.
exe_of() { basename "$(readlink "/proc/$1/exe" 2>/dev/null)" 2>/dev/null || true; }

# All descendants of a pid (so their exit can be awaited / forced as well); one ps call.
descendants() {
    ps -eo pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END {
            want[root] = 1
            do { more = 0
                 for (p in parent) if (!(p in want) && (parent[p] in want)) { want[p] = 1; more = 1; print p }
            } while (more)
        }'
}

# Wait (bounded) for pids to be gone; 0 if all gone.
wait_gone() {
    local secs=$1; shift
    local deadline=$((SECONDS + secs)) p any
    while :; do
        any=""
        for p in "$@"; do alive "$p" && any=1 && break; done
        [ -z "$any" ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# Processes whose process group is PGID.
group_members() { ps -eo pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'; }

# stop_pid NAME PID EXE SIGNAL [group]: signal a server's master and wait (bounded) for it
# and all its descendants; SIGKILL whatever is left after 10 s.
# With `group`, the whole process group is signalled at once. Dovecot needs this: on
# SIGTERM its master exits after ~1 s but auth (still serving Postfix smtpd connections),
# anvil, stats and log linger for as long as smtpd keeps its auth connection open.
stop_pid() {
    local name=$1 pid=$2 expect=$3 sig=$4 mode=${5:-} kids p left=""
    alive "$pid" || return 0
    if [ "$(exe_of "$pid")" != "$expect" ]; then
        log "$name: pid $pid is not $expect any more; not signalling it"
        return 0
    fi
    kids=$(descendants "$pid")
    if [ "$mode" = group ] && [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
        kids="$kids $(group_members "$pid")"
        kill "-$sig" -- "-$pid" 2>/dev/null || true
    else
        kill "-$sig" "$pid" 2>/dev/null || true
    fi
    wait_gone 10 "$pid" $kids && return 0
    for p in "$pid" $kids; do alive "$p" && left="$left $p($(cat "/proc/$p/comm" 2>/dev/null))"; done
    log "$name: still running after 10 s:$left; sending SIGKILL"
    for p in "$pid" $kids; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
    wait_gone 5 "$pid" $kids || log "$name: processes survived SIGKILL"
}

# Escape a value for the replacement side of a sed s||| command.
# Multi-line values: every line but the last ends in a backslash.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g' -e '$!s/$/\\/'; }

# render TEMPLATE OUT: substitute @KEY@ placeholders from the VARS assoc array.
render() {
    local args=() k
    for k in "${!VARS[@]}"; do args+=(-e "s|@${k}@|$(sed_escape "${VARS[$k]}")|g"); done
    sed "${args[@]}" "$1" > "$2"
    if grep -q '@[A-Z_]*@' "$2"; then die "unsubstituted placeholder in $2: $(grep -o '@[A-Z_]*@' "$2" | head -n1)"; fi
}

# Local ports of all TCP sockets (any state), as 4-digit upper-case hex as in /proc/net/tcp
# (Debian's awk is mawk, which has no strtonum, so compare in hex).
ports_in_use_hex() {
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR > 1 { n = split($2, a, ":"); print a[n] }' | sort -u
}

# Pick N distinct free ports in 20000..32767, below the kernel's ephemeral range
# (32768..60999 here), so outgoing client sockets cannot steal them later.
pick_ports() {
    local n=$1 used picked=" " p tries=0
    used=" $(ports_in_use_hex | tr '\n' ' ') "
    while [ "$(wc -w <<<"$picked")" -lt "$n" ]; do
        tries=$((tries + 1)); [ "$tries" -lt 10000 ] || die "no free ports found"
        p=$((20000 + RANDOM % 12768))
        case "$used" in *" $(printf '%04X' "$p") "*) continue ;; esac
        case "$picked" in *" $p "*) continue ;; esac
        picked="$picked$p "
    done
    echo $picked
}

tcp_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port NAME PORT LOG: bounded wait until a port accepts connections.
wait_port() {
    local name=$1 port=$2 logf=$3 deadline=$((SECONDS + WAIT_SECS))
    until tcp_accepts "$port"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$name did not accept connections on 127.0.0.1:$port within ${WAIT_SECS}s"
            show_logs "$logf"
            return 1
        fi
        sleep 0.02
    done
}

# wait_file NAME FILE LOG: bounded wait until a file (pid file, socket) appears.
wait_file() {
    local name=$1 f=$2 logf=$3 deadline=$((SECONDS + WAIT_SECS))
    until [ -e "$f" ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$name did not create $f within ${WAIT_SECS}s"
            show_logs "$logf"
            return 1
        fi
        sleep 0.02
    done
}

show_logs() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        echo "---- tail of $f" >&2
        tail -n 30 "$f" >&2
    done
}

# Resolve and validate DIR (must exist); sets DIR.
resolve_dir() {
    [ -n "${1:-}" ] || die "usage: $0 ${CMD} DIR"
    [ -d "$1" ] || die "$1 is not an existing directory"
    DIR=$(cd "$1" && pwd -P)
    # Values go unquoted into Postfix/Dovecot configs and master.cf -o options.
    [[ "$DIR" =~ ^[A-Za-z0-9._/+-]+$ ]] || die "DIR path '$DIR' has characters the server configs cannot take (use [A-Za-z0-9._/+-])"
    # Unix sockets (Dovecot base_dir, PG socket dir) are limited to 107 bytes.
    [ "${#DIR}" -le 70 ] || die "DIR path '$DIR' is too long (${#DIR} > 70 chars) for unix socket paths"
}

pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [ -n "$d" ] && [ -x "$d/postgres" ] || die "PostgreSQL server not found under /usr/lib/postgresql (run '$0 install')"
    echo "$d"
}

read_pid() { # read_pid NAME -> pid from DIR/testbed.pids
    [ -r "$DIR/testbed.pids" ] || return 0
    sed -n "s/^$1=//p" "$DIR/testbed.pids" | tail -n1
}

write_pid() { # write_pid NAME PID
    local tmp="$DIR/testbed.pids.tmp"
    { [ -r "$DIR/testbed.pids" ] && grep -v "^$1=" "$DIR/testbed.pids" || true; echo "$1=$2"; } > "$tmp"
    mv "$tmp" "$DIR/testbed.pids"
}

env_get() { sed -n "s/^$1=//p" "$DIR/testbed.env" | tail -n1; }

# ---------------------------------------------------------------------------- TLS

make_tls() {
    local t="$DIR/tls"
    mkdir -p "$t"
    chmod 755 "$t"
    # EC P-256 keys: fast to generate, accepted by rustls/webpki.
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$t/ca.key" -out "$t/ca.pem" -days 30 -subj "/CN=foid test bed CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$t/openssl.log"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$t/server.key" -out "$t/server.csr" -subj "/CN=localhost" 2>>"$t/openssl.log"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" \
        "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$t/server.ext"
    openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
        -CAcreateserial -days 30 -extfile "$t/server.ext" -out "$t/server.pem" 2>>"$t/openssl.log"
    chmod 600 "$t/ca.key" "$t/server.key"
    chmod 644 "$t/ca.pem" "$t/server.pem"
}

# ---------------------------------------------------------------------------- PostgreSQL

# A pristine cluster (initdb + role + database) is built once per PostgreSQL version and
# copied with cp -a: initdb --no-sync costs ~1 s, the copy well under 0.1 s.
pg_cached_cluster() {
    local bin=$1 key cache tmp out
    key=$("$bin/postgres" --version | tr -c 'A-Za-z0-9.\n' _ | tr -d '\n')-r1
    cache="$PGCACHE_ROOT/$key"
    if [ -f "$cache/PG_VERSION" ]; then echo "$cache"; return 0; fi
    mkdir -p "$PGCACHE_ROOT"
    chmod 755 "$PGCACHE_ROOT"
    tmp=$(mktemp -d "$PGCACHE_ROOT/build.XXXXXX")
    chmod 755 "$tmp"
    chown postgres: "$tmp"
    # initdb refuses root; runuser as postgres needs a cwd it may enter.
    if ! (cd / && runuser -u postgres -- "$bin/initdb" --no-sync -D "$tmp/data" -U postgres \
            -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256) \
            </dev/null >"$tmp/initdb.log" 2>&1; then
        cat "$tmp/initdb.log" >&2; rm -rf "$tmp"; die "initdb failed"
    fi
    out=$(printf '%s\n' \
        "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PASSWORD';" \
        "CREATE DATABASE $PG_DB OWNER $PG_USER;" |
        (cd / && runuser -u postgres -- "$bin/postgres" --single -D "$tmp/data" -c fsync=off postgres) 2>&1) || true
    if grep -q 'ERROR\|FATAL' <<<"$out"; then
        echo "$out" >&2; rm -rf "$tmp"; die "creating $PG_USER/$PG_DB failed"
    fi
    # Atomic publish; a concurrent builder may have won the race, which is fine.
    mv -T "$tmp/data" "$cache" 2>/dev/null || true
    rm -rf "$tmp"
    [ -f "$cache/PG_VERSION" ] || die "could not populate $cache"
    echo "$cache"
}

pg_setup() {
    local bin=$1 port=$2 cache
    cache=$(pg_cached_cluster "$bin")
    cp -a "$cache" "$DIR/pg"
    mkdir -p "$DIR/pg-sock"
    chown postgres: "$DIR/pg-sock"
    chmod 755 "$DIR/pg-sock"
    cat >> "$DIR/pg/postgresql.conf" <<EOF

# ---- foid test bed
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR/pg-sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
    # Local socket: trust (tooling); TCP loopback: password (scram).
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 scram-sha-256" > "$DIR/pg/pg_hba.conf"
    chown postgres: "$DIR/pg/postgresql.conf" "$DIR/pg/pg_hba.conf"
    touch "$DIR/log/postgres.log"
    chown postgres: "$DIR/log/postgres.log"
}

# ---------------------------------------------------------------------------- start

start_dovecot() {
    rm -f "$DIR/dovecot/run/master.pid"
    # Dovecot keeps the caller's stderr open forever: never let it inherit ours (nor the
    # port lock on fd 9).
    if ! dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >>"$DIR/log/dovecot.stdio.log" 2>&1 9>&-; then
        log "dovecot failed to start"
        show_logs "$DIR/log/dovecot.stdio.log" "$DIR/log/dovecot.log"
        return 1
    fi
}

wait_dovecot() {
    local lg=("$DIR/log/dovecot.stdio.log" "$DIR/log/dovecot.log")
    wait_file dovecot "$DIR/dovecot/run/master.pid" "${lg[@]}" || return 1
    write_pid dovecot "$(head -n1 "$DIR/dovecot/run/master.pid")"
    wait_port "dovecot imap" "$(env_get FOID_TB_IMAP_PORT)" "${lg[@]}" || return 1
    wait_port "dovecot imaps" "$(env_get FOID_TB_IMAPS_PORT)" "${lg[@]}" || return 1
    wait_file "dovecot lmtp" "$DIR/dovecot/run/lmtp" "${lg[@]}" || return 1
    wait_file "dovecot auth" "$DIR/dovecot/run/auth-postfix" "${lg[@]}" || return 1
}

cmd_start() {
    resolve_dir "${1:-}"
    [ "$(id -u)" = 0 ] || die "start must run as root (the servers drop to their own users)"
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
    local m
    m=$(missing_packages)
    [ -z "$m" ] || die "missing packages: $m; run '$0 install' as root first"
    chmod 755 "$DIR"
    # dovenull, dovecot, postfix and postgres must all be able to reach DIR.
    runuser -u postgres -- test -x "$DIR" -a -r "$DIR" ||
        die "$DIR is not reachable by unprivileged users: every parent directory must be traversable (o+x); e.g. /root is 0700"

    local bin
    bin=$(pg_bindir)
    # Any failure from here on stops whatever was started.
    # (`wait` first: a pg_ctl still running in the background may not have written
    # postmaster.pid yet.)
    trap 'rc=$?; if [ $rc != 0 ]; then log "start failed; stopping what was started"; wait || true; cmd_stop "$DIR" >/dev/null 2>&1 || true; fi' EXIT

    mkdir -p "$DIR/log" "$DIR/dovecot/run" "$DIR/dovecot/state" "$DIR/mail" "$DIR/home" \
        "$DIR/postfix" "$DIR/postfix-queue" "$DIR/postfix-data"
    chmod 755 "$DIR/log" "$DIR/dovecot" "$DIR/postfix" "$DIR/postfix-queue"
    # Maildirs and homes are created by Dovecot as the `mail` user.
    chown mail:mail "$DIR/mail" "$DIR/home"
    chown postfix: "$DIR/postfix-data"
    make_tls

    exec 9>"$PORT_LOCK"
    flock -w 120 9 || die "could not take $PORT_LOCK"
    local ports imap imaps smtp submission pgport oauth
    ports=$(pick_ports 6)
    read -r imap imaps smtp submission pgport oauth <<<"$ports"

    # Virtual users: one passwd-file for Dovecot, one texthash table for Postfix.
    local u
    for u in $USERS; do echo "$u:{PLAIN}$PASSWORD::::::"; done > "$DIR/dovecot/users"
    chown root:dovecot "$DIR/dovecot/users"
    chmod 640 "$DIR/dovecot/users"
    for u in $USERS; do echo "$u OK"; done > "$DIR/postfix/vmailbox"

    declare -gA VARS=(
        [DIR]="$DIR" [INSTANCE]="foidtb-$(basename "$DIR")"
        [IMAP_PORT]=$imap [IMAPS_PORT]=$imaps [SMTP_PORT]=$smtp [SUBMISSION_PORT]=$submission
        [OAUTH_PORT]=$oauth [OAUTH_DOVECOT_SECRET]=$OAUTH_DOVECOT_SECRET
        [NAMESPACE_LAYOUT]="" [CAPABILITY_LAYOUT]=""
    )
    case ${FOID_TB_LAYOUT:-dovecot} in
        dovecot) ;;
        courier)
            VARS[NAMESPACE_LAYOUT]='  prefix = INBOX.
  separator = .'
            # Dovecot 2.3's own list without MOVE (Courier-IMAP has none).
            VARS[CAPABILITY_LAYOUT]='imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SPECIAL-USE' ;;
        *) die "FOID_TB_LAYOUT must be dovecot or courier, not ${FOID_TB_LAYOUT}" ;;
    esac
    render "$HERE/dovecot.conf.in" "$DIR/dovecot/dovecot.conf"
    render "$HERE/dovecot-oauth2.conf.ext.in" "$DIR/dovecot/oauth2.conf.ext"
    chown root:dovecot "$DIR/dovecot/oauth2.conf.ext"
    chmod 640 "$DIR/dovecot/oauth2.conf.ext"
    oauth_setup "$oauth"
    render "$HERE/postfix-main.cf.in" "$DIR/postfix/main.cf"
    render "$HERE/postfix-master.cf.in" "$DIR/postfix/master.cf"
    # Postfix re-reads (sleeping 300 ms a time) any config or table younger than ~2 s.
    touch -d '-1 min' "$DIR/postfix/main.cf" "$DIR/postfix/master.cf" "$DIR/postfix/vmailbox"

    local url="postgres://$PG_USER:$PASSWORD@127.0.0.1:$pgport/$PG_DB"
    cat > "$DIR/testbed.env" <<EOF
FOID_TB_DIR=$DIR
FOID_TB_HOST=127.0.0.1
FOID_TB_TLS_NAME=localhost
FOID_TB_IMAP_PORT=$imap
FOID_TB_IMAPS_PORT=$imaps
FOID_TB_SMTP_PORT=$smtp
FOID_TB_SUBMISSION_PORT=$submission
FOID_TB_CA=$DIR/tls/ca.pem
FOID_TB_PG_URL=$url
FOID_TB_PG_PORT=$pgport
FOID_TB_PG_SOCKET_DIR=$DIR/pg-sock
FOID_TB_DOMAIN=$DOMAIN
FOID_TB_PASSWORD=$PASSWORD
FOID_TB_USERS=$(echo $USERS | tr ' ' ',')
FOID_TB_MAILDIR_ROOT=$DIR/mail
FOID_TB_PIDS=$DIR/testbed.pids
FOID_TB_LOG_DIR=$DIR/log
FOID_TB_DOVECOT_CONF=$DIR/dovecot/dovecot.conf
FOID_TB_POSTFIX_CONF_DIR=$DIR/postfix
FOID_TB_OAUTH_PORT=$oauth
FOID_TB_OAUTH_ISSUER=http://127.0.0.1:$oauth
FOID_TB_OAUTH_TOKEN_URL=http://127.0.0.1:$oauth/token
FOID_TB_OAUTH_CLIENT_ID=foid
FOID_TB_OAUTH_SECRET=$OAUTH_SECRET
FOID_TB_OAUTH_CERT_CLIENT_ID=foid-cert
FOID_TB_OAUTH_CERT=$DIR/oauth/client.pem
FOID_TB_OAUTH_KEY=$DIR/oauth/client.key
FOID_TB_OAUTH_TTL=${FOID_TB_OAUTH_TTL:-3600}
FOID_TB_OAUTH_LOG=$DIR/log/oauth.log
FOID_TB_LAYOUT=${FOID_TB_LAYOUT:-dovecot}
EOF
    : > "$DIR/testbed.pids"

    # PostgreSQL: copy the cached cluster, start it in the background (pg_ctl -w polls
    # for readiness) while Dovecot and Postfix start.
    pg_setup "$bin" "$pgport"
    (cd / && exec runuser -u postgres -- "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/log/postgres.log" \
        -w -t "$WAIT_SECS" start) </dev/null >"$DIR/log/pg_ctl.log" 2>&1 9>&- &
    local pg_ctl_pid=$!

    start_oauth
    start_dovecot

    start_postfix || return 1
    wait_dovecot
    wait_postfix "$smtp" "$submission"
    wait_port "oauth provider" "$oauth" "$DIR/log/oauth.log"

    if ! wait "$pg_ctl_pid"; then
        log "postgres did not start"
        show_logs "$DIR/log/pg_ctl.log" "$DIR/log/postgres.log"
        return 1
    fi
    write_pid postgres "$(head -n1 "$DIR/pg/postmaster.pid")"
    wait_port postgres "$pgport" "$DIR/log/postgres.log"

    exec 9>&-
    trap - EXIT
    log "started in $DIR (env: $DIR/testbed.env)"
}

# ---------------------------------------------------------------------------- OAuth

# oauth_setup PORT: the provider's configuration and the certificate of the client that
# authenticates with a signed assertion (RSA, as Entra ID requires).
oauth_setup() {
    local port=$1 o="$DIR/oauth"
    [ -f "$(oauth_modules)/node_modules/oidc-provider/package.json" ] ||
        die "the OAuth provider is not installed; run '$0 install' first"
    mkdir -p "$o"
    openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$o/client.key" -out "$o/client.pem" \
        -days 30 -subj "/CN=foid test client" 2>"$o/openssl.log"
    chmod 644 "$o/client.key" "$o/client.pem"
    oauth_write_conf "$port" "$OAUTH_SECRET" "${FOID_TB_OAUTH_TTL:-3600}"
}

# oauth_write_conf PORT SECRET TTL
oauth_write_conf() {
    cat > "$DIR/oauth/provider.json.tmp" <<EOF
{
  "port": $1,
  "ttl_seconds": $3,
  "scopes": [$OAUTH_SCOPES],
  "clients": [
    {"client_id": "foid", "client_secret": "$2", "mailbox": "foi@$DOMAIN"},
    {"client_id": "foid-cert", "certificate_file": "$DIR/oauth/client.pem", "mailbox": "foi@$DOMAIN"},
    {"client_id": "dovecot", "client_secret": "$OAUTH_DOVECOT_SECRET"}
  ]
}
EOF
    mv "$DIR/oauth/provider.json.tmp" "$DIR/oauth/provider.json"
}

start_oauth() {
    # Node resolves `oidc-provider` from the script's own directory: run a copy of the
    # script placed beside the installed node_modules.
    local d
    d=$(oauth_modules)
    cp "$HERE/oauth-provider.mjs" "$d/oauth-provider.mjs.tmp.$$"
    mv "$d/oauth-provider.mjs.tmp.$$" "$d/oauth-provider.mjs"
    setsid node "$d/oauth-provider.mjs" "$DIR/oauth/provider.json" \
        </dev/null >>"$DIR/log/oauth.log" 2>&1 9>&- &
    write_pid oauth $!
}

cmd_start_oauth() {
    resolve_dir "${1:-}"
    [ -r "$DIR/testbed.env" ] || die "$DIR has no test bed (no testbed.env)"
    if alive "$(read_pid oauth)"; then log "oauth provider already running"; return 0; fi
    start_oauth
    wait_port "oauth provider" "$(env_get FOID_TB_OAUTH_PORT)" "$DIR/log/oauth.log"
}

cmd_stop_oauth() {
    resolve_dir "${1:-}"
    stop_pid oauth "$(read_pid oauth)" node TERM
}

cmd_oauth_secret() {
    resolve_dir "${1:-}"
    [ -n "${2:-}" ] || die "usage: $0 oauth-secret DIR SECRET"
    cmd_stop_oauth "$DIR"
    oauth_write_conf "$(env_get FOID_TB_OAUTH_PORT)" "$2" "$(env_get FOID_TB_OAUTH_TTL)"
    cmd_start_oauth "$DIR"
}

# ---------------------------------------------------------------------------- postfix

start_postfix() {
    # The queue directory must exist before `postfix start` (it chdir()s there first).
    if ! postfix -c "$DIR/postfix" start </dev/null >>"$DIR/log/postfix.stdio.log" 2>&1 9>&-; then
        log "postfix failed to start"
        # Postfix prints errors only to a terminal (and there is no syslog), so rerun its
        # config check under a pty to get the reason into the log.
        script -qec "postfix -c $DIR/postfix check" /dev/null </dev/null >>"$DIR/log/postfix.stdio.log" 2>&1 || true
        show_logs "$DIR/log/postfix.stdio.log" "$DIR/log/postfix.log"
        return 1
    fi
}

wait_postfix() { # wait_postfix SMTP_PORT SUBMISSION_PORT
    local plogs=("$DIR/log/postfix.stdio.log" "$DIR/log/postfix.log")
    wait_file postfix "$DIR/postfix-queue/pid/master.pid" "${plogs[@]}"
    write_pid postfix "$(tr -d ' ' < "$DIR/postfix-queue/pid/master.pid")"
    wait_port "postfix smtp" "$1" "${plogs[@]}"
    wait_port "postfix submission" "$2" "${plogs[@]}"
}

cmd_start_smtp() {
    resolve_dir "${1:-}"
    [ -r "$DIR/testbed.env" ] || die "$DIR has no test bed (no testbed.env)"
    if alive "$(read_pid postfix)"; then log "postfix already running"; return 0; fi
    rm -f "$DIR/postfix-queue/pid/master.pid"
    start_postfix || return 1
    wait_postfix "$(env_get FOID_TB_SMTP_PORT)" "$(env_get FOID_TB_SUBMISSION_PORT)"
}

cmd_stop_smtp() {
    resolve_dir "${1:-}"
    stop_pid postfix "$(read_pid postfix)" master TERM group
}

cmd_start_imap() {
    resolve_dir "${1:-}"
    [ -r "$DIR/testbed.env" ] || die "$DIR has no test bed (no testbed.env)"
    if alive "$(read_pid dovecot)"; then log "dovecot already running"; return 0; fi
    start_dovecot
    wait_dovecot
    # Mail deferred while Dovecot was down: retry now rather than after the backoff.
    if alive "$(read_pid postfix)"; then
        postqueue -c "$DIR/postfix" -f </dev/null >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------------------- stop

cmd_start_pg() {
    resolve_dir "${1:-}"
    [ -r "$DIR/testbed.env" ] || die "$DIR has no test bed (no testbed.env)"
    if alive "$(read_pid postgres)"; then log "postgres already running"; return 0; fi
    local bin
    bin=$(pg_bindir)
    if ! (cd / && exec runuser -u postgres -- "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/log/postgres.log" \
        -w -t "$WAIT_SECS" start) </dev/null >"$DIR/log/pg_ctl.log" 2>&1; then
        show_logs "$DIR/log/pg_ctl.log" "$DIR/log/postgres.log"
        die "postgres did not start"
    fi
    write_pid postgres "$(head -n1 "$DIR/pg/postmaster.pid")"
    wait_port postgres "$(env_get FOID_TB_PG_PORT)" "$DIR/log/postgres.log"
}

cmd_stop_pg() {
    resolve_dir "${1:-}"
    stop_pid postgres "$(read_pid postgres)" postgres INT
}

cmd_stop_imap() {
    resolve_dir "${1:-}"
    stop_pid dovecot "$(read_pid dovecot)" dovecot TERM group
}

cmd_stop() {
    # Idempotent even when DIR is already gone (nothing could be found to stop then).
    if [ -n "${1:-}" ] && [ ! -e "$1" ]; then log "$1 does not exist; nothing to stop"; return 0; fi
    resolve_dir "${1:-}"
    # Server pid files are a fallback for a start that failed before recording pids.
    local dpid ppid gpid
    dpid=$(read_pid dovecot); [ -n "$dpid" ] || dpid=$(head -n1 "$DIR/dovecot/run/master.pid" 2>/dev/null || true)
    ppid=$(read_pid postfix); [ -n "$ppid" ] || ppid=$(tr -d ' ' < "$DIR/postfix-queue/pid/master.pid" 2>/dev/null || true)
    gpid=$(read_pid postgres); [ -n "$gpid" ] || gpid=$(head -n1 "$DIR/pg/postmaster.pid" 2>/dev/null || true)
    stop_pid oauth "$(read_pid oauth)" node TERM &
    # In parallel; PostgreSQL gets SIGINT (fast shutdown): SIGTERM ("smart") would wait
    # for clients to disconnect.
    stop_pid postfix "$ppid" master TERM group &
    stop_pid dovecot "$dpid" dovecot TERM group &
    stop_pid postgres "$gpid" postgres INT &
    wait
}

cmd_status() {
    resolve_dir "${1:-}"
    local name exe pid rc=0
    for name in dovecot postfix postgres oauth; do
        case $name in dovecot) exe=dovecot ;; postfix) exe=master ;; postgres) exe=postgres ;; oauth) exe=node ;; esac
        pid=$(read_pid "$name")
        if alive "$pid" && [ "$(exe_of "$pid")" = "$exe" ]; then
            echo "$name running (pid $pid)"
        else
            echo "$name stopped"
            rc=3
        fi
    done
    return $rc
}

CMD=${1:-}
shift || true
case "$CMD" in
    install) cmd_install ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    start-imap) cmd_start_imap "$@" ;;
    start-pg) cmd_start_pg "$@" ;;
    stop-pg) cmd_stop_pg "$@" ;;
    stop-imap) cmd_stop_imap "$@" ;;
    start-smtp) cmd_start_smtp "$@" ;;
    stop-smtp) cmd_stop_smtp "$@" ;;
    start-oauth) cmd_start_oauth "$@" ;;
    stop-oauth) cmd_stop_oauth "$@" ;;
    oauth-secret) cmd_oauth_secret "$@" ;;
    status) cmd_status "$@" ;;
    *) die "usage: $0 {install|start DIR|stop DIR|start-imap DIR|stop-imap DIR|start-pg DIR|stop-pg DIR|start-smtp DIR|stop-smtp DIR|start-oauth DIR|stop-oauth DIR|oauth-secret DIR SECRET|status DIR}" ;;
esac
