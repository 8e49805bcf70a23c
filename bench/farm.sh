#!/usr/bin/env bash
# farm.sh - WormReplyFarm: notices per second farm-wide and Redis round
# trips per event, with one, two and three servers on one redis-server,
# against one server without a farm, in one run (see bench/farm.pl).
#
#   bash bench/farm.sh          (as root, after make -f apxs.mk)
#
# Environment: EVENTS=4000 ROUNDS=3 DNS_PORT=15353 REDIS_PORT=16394
#              PORT=18170 BUILD=1
# Uses the DNS rig on 127.0.0.1:$DNS_PORT when it answers, else starts it
# (its state under /tmp/wormreply-bench-farm) and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
DNS_PORT=${DNS_PORT:-15353}
export DNS_PORT
if [ "${BUILD:-1}" = 1 ]; then
    make -s -f apxs.mk module cli >/dev/null
fi
started=0
if ! dig +short +time=1 +tries=1 @127.0.0.1 -p "$DNS_PORT" h1.farm1.test \
        AAAA 2>/dev/null | grep -q .; then
    WR_DNS_PORT=$DNS_PORT WR_RIG_DIR=/tmp/wormreply-bench-farm \
        sh t/rig/dns.sh start
    started=1
fi
trap '[ $started = 1 ] && WR_DNS_PORT=$DNS_PORT WR_RIG_DIR=/tmp/wormreply-bench-farm sh t/rig/dns.sh stop >/dev/null' EXIT
perl bench/farm.pl
