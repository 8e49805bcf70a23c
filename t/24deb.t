# 24deb.t - the Debian packages (issue 14.7), through scripts/check-deb.sh:
# - dpkg-buildpackage -b -us -uc builds libapache2-mod-wormreply and
#   wormreply, with the module, its .load/.conf, wormreply-status.conf, the
#   CLI and both manual pages, at the version of wr_version.h;
# - lintian reports no error;
# - the install cycle on this machine's apache2 (install, configtest, start,
#   a probe answered, status, the notifier in ps, stop, purge, nothing
#   left, /etc/apache2 and /var/lib/apache2 as they were) where it can put
#   the machine back afterwards: root, apache2 installed and not running,
#   our packages not installed. Elsewhere it is skipped, with the reason.
#   The system apache2 listens on 127.0.0.1:18097 only for the while (its
#   ports.conf is put back byte for byte), every wait in the cycle is
#   bounded (60 s for apache2 to answer) and fails with a message, and the
#   machine is restored (apache2 stopped, packages purged) even when a
#   check fails.
# The packages are built once (OUT=) and the cycle checks that build.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use WrCli qw(run_sh shq slurp);

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";

# make -f apxs.mk install, then uninstall, into a DESTDIR: every file goes
{
    my $dest = tempdir('wr-inst-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $mk = 'make -s -C ' . shq($top) . ' -f apxs.mk DESTDIR=' . shq($dest)
             . ' PREFIX=/usr';
    my ($irc, $io, $ie) = run_sh("$mk install", 600);
    is $irc, 0, 'make install into a DESTDIR' or diag "$io$ie";
    my @files = split /\n/, `cd '$dest' && find . -type f | sort`;
    ok scalar(grep { m{/mod_wormreply\.so$} } @files)
       && scalar(grep { m{/bin/wormreply$} } @files)
       && scalar(grep { m{/mods-available/wormreply\.load$} } @files)
       && scalar(grep { m{/man8/mod_wormreply\.8$} } @files),
       'it installs the module, the CLI, the .load and the man pages'
       or diag "@files";
    ($irc, $io, $ie) = run_sh("$mk uninstall", 120);
    is $irc, 0, 'make uninstall' or diag "$io$ie";
    my $left = `cd '$dest' && find . -type f | sort`;
    is $left, '', 'it removes every file install put in place';
}

my $why;
for my $tool (qw(dpkg-buildpackage dh lintian)) {
    $why //= "$tool is not installed (scripts/install-deps.sh)"
        unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}
$why //= 'not a git checkout (check-deb.sh packs the repository\'s files)'
    unless -e "$top/.git";
if ($why) {
    SKIP: { skip $why, 1 }
    done_testing;
    exit 0;
}

my $out = tempdir('wr-deb-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sh = 'sh ' . shq("$top/scripts/check-deb.sh");

my ($rc, $o, $e) = run_sh('OUT=' . shq($out) . " $sh lintian", 1200);
is $rc, 0, 'check-deb.sh lintian: built, and lintian reports no error'
    or diag "$o$e";
like $o, qr/^check-deb: built libapache2-mod-wormreply_\S+_\w+\.deb wormreply_\S+\.deb/m,
    '... both packages' or diag $o;
like $o, qr/^check-deb: lintian: no error/m, '... lintian: no error'
    or diag $o;
unlike "$o$e", qr/^E: /m, '... not one E: line';

my $ports = slurp('/etc/apache2/ports.conf');
SKIP: {
    skip 'no packages to install', 4 if $rc != 0;
    ($rc, $o, $e) = run_sh('DEBS=' . shq($out) . " $sh cycle", 600);
    my ($why) = $o =~ /^check-deb: (cycle skipped: .*)$/m;
    skip $why // 'install cycle skipped', 4 if $rc == 77;
    is $rc, 0, 'check-deb.sh cycle: install, configtest, probe, purge'
        or diag "$o$e";
    like $o, qr/^check-deb: apache2 answers on 127\.0\.0\.1:18097$/m,
        '... the system apache2 on loopback and its own port only'
        or diag $o;
    like $o, qr/^check-deb: a Nimda probe answered: 404 Not Found 404$/m,
        '... the system apache2 answered a probe with the module'
        or diag $o;
    like $o, qr/^check-deb: purged: nothing left; \/etc\/apache2 and \/var\/lib\/apache2 as they were$/m,
        '... and the purge left the machine as it was' or diag "$o$e";
}
is system('dpkg -s libapache2-mod-wormreply >/dev/null 2>&1') >> 8, 1,
    'libapache2-mod-wormreply is not installed afterwards';
is slurp('/etc/apache2/ports.conf'), $ports, 'ports.conf is as it was';
my $pid = slurp('/var/run/apache2/apache2.pid');
ok !($pid =~ /^(\d+)/ && kill 0, $1),
    'the system apache2 is not left running';
done_testing;
