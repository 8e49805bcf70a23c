#!/bin/sh
# install-deps.sh - the Debian 12 packages that only the benchmark needs
#
# The build's and the tests' own packages come from scripts/install-deps.sh;
# this adds what bench/run.sh uses on top: wrk (throughput), valgrind
# (instruction counts), ab from apache2-utils (sequential keep-alive
# requests under valgrind), php-fpm with opcache (the "historic" mailer),
# taskset (util-linux), curl, iproute2 (ss) and Perl (the raw-socket
# checks; IO::Socket::SSL for delivery.sh's STARTTLS client, which
# scripts/install-deps.sh brings only as a recommendation). Run as root.
set -eu
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: run as root (apt-get install)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    apache2 apache2-utils apache2-dev \
    wrk valgrind \
    php8.2-fpm php8.2-cli php8.2-opcache \
    util-linux curl iproute2 perl libio-socket-ssl-perl gzip goaccess time
