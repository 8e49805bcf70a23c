#!/bin/sh
# install-deps.sh - every Debian 12 package the build, the demo and the tests
# need. Run as root on a fresh machine; safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    build-essential pkg-config make gzip ca-certificates \
    apache2 apache2-dev libapr1-dev libaprutil1-dev \
    libpcre2-dev libc-ares-dev libpsl-dev libesmtp-dev libssl-dev zlib1g-dev libhiredis-dev \
    libjansson-dev libgmime-3.0-dev \
    libapache2-mod-perl2 libwww-perl perl \
    clang libclang-rt-14-dev \
    unbound dnsutils exim4-daemon-light swaks openssl curl \
    valgrind wrk procps time rbldnsd chromium util-linux memcached redis-server \
    redis-tools gdb libapache2-mod-php8.2 \
    python3 python3-yaml python3-jsonschema python3-rfc3987 \
    debhelper dpkg-dev lintian
# mod_php's package switches the system's httpd to mpm_prefork with PHP on;
# the tests load it only into private servers (t/23modules.t), and the
# Apache::Test server keeps Debian's default MPM
if [ -x /usr/sbin/a2dismod ] && a2query -m php8.2 >/dev/null 2>&1; then
    a2dismod -q php8.2
    a2dismod -q mpm_prefork
    a2enmod -q mpm_event
fi
