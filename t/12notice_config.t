# The notice directives: every bad value fails configtest with the file, the
# line and the reason; a complete good configuration passes.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use WrPrivateHttpd;

my $h = WrPrivateHttpd->new(port => 18105);
my $d = $h->dir;

open my $t, '>', "$d/bad.tmpl" or die $!;
print $t "Hello \${domain}, \${no_such_thing}\n";
close $t;
open $t, '>', "$d/good.tmpl" or die $!;
print $t "Subject: probes from \${source}\n\nHello \${domain}.\n\${hosts_table}\n";
close $t;

# an AUTH secret readable by others, and a good one
open $t, '>', "$d/open-secret" or die $!;
print $t "s3cret\n";
close $t;
chmod 0644, "$d/open-secret";
open $t, '>', "$d/secret" or die $!;
print $t "s3cret\n";
close $t;
chmod 0600, "$d/secret";

my @bad = (
    ['WormReplyNotify Sometimes', qr/WormReplyNotify: unknown value 'Sometimes'/],
    ['WormReplyCache nosuchcache', qr/WormReplyCache: unknown socache provider 'nosuchcache'/],
    ['WormReplyHostWindow 5x', qr/WormReplyHostWindow: '5x' is not a duration/],
    ['WormReplyDigestDelay -5m', qr/WormReplyDigestDelay: '-5m' is not a duration/],
    ['WormReplyDomainWindow 0', qr/WormReplyDomainWindow: '0' is not a duration/],
    ['WormReplyMaxPerHour -1', qr/WormReplyMaxPerHour: '-1' is not a whole number/],
    ['WormReplySpoolMax many', qr/WormReplySpoolMax: 'many' is not a whole number/],
    ['WormReplySpoolMaxBytes lots', qr/WormReplySpoolMaxBytes: 'lots' is not a size/],
    ['WormReplySpoolMaxBytes 0', qr/WormReplySpoolMaxBytes: '0' is not a size/],
    ['WormReplySourcePrefix 33 64', qr/WormReplySourcePrefix: '33' is not a whole number from 8 to 32/],
    ['WormReplySourcePrefix 32 8', qr/WormReplySourcePrefix: '8' is not a whole number from 16 to 128/],
    ['WormReplySourcePrefix 32', qr/WormReplySourcePrefix takes two arguments/],
    ['WormReplyPrefixQuota 13', qr/WormReplyPrefixQuota: '13' is not a whole number from 1 to 12/],
    ['WormReplyPrefixQuota 0', qr/WormReplyPrefixQuota: '0' is not a whole number from 1 to 12/],
    ['WormReplyFrom not-an-address', qr/WormReplyFrom: 'not-an-address' is not a mail address/],
    ["WormReplyBcc \"a b\@example.org\"", qr/WormReplyBcc: 'a b\@example.org' is not a mail address/],
    ['WormReplyResolver dns.example.org', qr/WormReplyResolver: 'dns.example.org' is not an IP address/],
    ['WormReplyNotifyAllow 192.0.2.0/33', qr/WormReplyNotifyAllow: invalid address or network '192.0.2.0\/33'/],
    ['WormReplyNotifyExempt nowhere', qr/WormReplyNotifyExempt: invalid address or network 'nowhere'/],
    ['WormReplyOwnDomain -bad-.example', qr/WormReplyOwnDomain: '-bad-.example' is not a domain name/],
    ['WormReplyNeverMail "x y"', qr/WormReplyNeverMail: 'x y' is neither a mail address nor a domain/],
    ['WormReplyMailboxes abuse@example.org', qr/WormReplyMailboxes: 'abuse\@example.org' is not a mailbox name/],
    ['WormReplyFormat xml', qr/WormReplyFormat: unknown format 'xml' \(expected plain, arf, xarf or xarf4\)/],
    ["WormReplyTemplate $d/bad.tmpl", qr/WormReplyTemplate: .*no_such_thing/],
    ["WormReplyTemplate $d/missing.tmpl", qr/WormReplyTemplate: .*missing\.tmpl/],
    ['WormReplySmarthost [::1]:25', qr/WormReplySmarthost: .*IPv6 literals are not supported/],
    ['WormReplySmarthost mail.example.org:99999', qr/WormReplySmarthost: mail\.example\.org:99999: bad port/],
    ['WormReplySmarthost "bad host"', qr/WormReplySmarthost: bad host: not a host name or IPv4 address/],
    ['WormReplySMTPTLS sometimes', qr/WormReplySMTPTLS: unknown value 'sometimes'/],
    ["WormReplySMTPCACertificate $d/no-such-ca.pem", qr/WormReplySMTPCACertificate: cannot read/],
    ["WormReplySMTPAuth wormtest $d/open-secret", qr/WormReplySMTPAuth: .*accessible to group or others/],
    ["WormReplySMTPAuth wormtest $d/no-such-secret", qr/WormReplySMTPAuth: .*no-such-secret/],
    ['WormReplyRetryInterval 5x', qr/WormReplyRetryInterval: '5x' is not a duration/],
    ['WormReplyMaxQueueTime 0', qr/WormReplyMaxQueueTime: '0' is not a duration/],
    ['WormReplySMTPSessions 0', qr/WormReplySMTPSessions: '0' is not a whole number from 1 to 32/],
    ['WormReplySMTPSessions 33', qr/WormReplySMTPSessions: '33' is not a whole number from 1 to 32/],
    ['WormReplyNotifierNice 20', qr/WormReplyNotifierNice: '20' is not a whole number from 0 to 19/],
    ['WormReplyNotifierNice -5', qr/WormReplyNotifierNice: '-5' is not a whole number from 0 to 19/],
    ['WormReplySMTPSessions many', qr/WormReplySMTPSessions: 'many' is not a whole number/],
    ["<VirtualHost 127.0.0.1:18105>\nWormReplySMTPSessions 2\n</VirtualHost>",
     qr/WormReplySMTPSessions cannot occur within <VirtualHost> section/],
    ["<VirtualHost 127.0.0.1:18105>\nWormReplySpool $d/spool2\n</VirtualHost>",
     qr/WormReplySpool cannot occur within <VirtualHost> section/],
    ['WormReplyNotifyFamilies certain -', qr/WormReplyNotifyFamilies: empty family name/],
    ["<VirtualHost 127.0.0.1:18105>\nWormReplyNotifyFamilies all\n</VirtualHost>",
     qr/WormReplyNotifyFamilies cannot occur within <VirtualHost> section/],
);

for my $case (@bad) {
    my ($directive, $why) = @$case;
    $h->write_conf("WormReply On\n$directive\n");
    my ($rc, $out) = $h->configtest;
    (my $name = $directive) =~ s/\s*\n\s*/ /g;
    isnt $rc, 0, "configtest fails: $name";
    like $out, qr/Syntax error on line \d+ of \Q$d\E\/httpd\.conf/,
        '... naming the file and the line';
    like $out, $why, '... and the reason';
}

$h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplyCache shmcb:$d/run/cache(65536)
WormReplySpool $d/spool
WormReplySpoolMax 500
WormReplySpoolMaxBytes 64M
WormReplySourcePrefix 24 56
WormReplyPrefixQuota 2
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:15353 [::1]:15353
WormReplyNotifyExempt 192.0.2.0/28 2001:db8:1::/48
WormReplyNotifyAllow 192.0.2.0/24
WormReplyOwnDomain example.org
WormReplyNeverMail registry.example abuse\@example.net
WormReplyMailboxes abuse
WormReplyFrom webmaster\@www.wr-notices.test
WormReplyBcc admin\@wr-notices.test
WormReplyTemplate $d/good.tmpl
WormReplyFormat arf
WormReplyHostWindow 12h
WormReplyDigestDelay 1m30s
WormReplyDomainWindow 2h
WormReplyMaxPerHour 0
WormReplySmarthost localhost:12525
WormReplySMTPTLS required
WormReplySMTPAuth wormtest $d/secret
WormReplyRetryInterval 30s
WormReplyMaxQueueTime 2d
WormReplySMTPSessions 8
WormReplyNotifierNice 5
WormReplyNotifyFamilies certain likely -nimda
WormReplyNotifyFamilies +nimda -recon
<VirtualHost 127.0.0.1:18105>
    WormReplyNotify Test
</VirtualHost>
EOF
my ($rc, $out) = $h->configtest;
is $rc, 0, 'every notice directive with a good value: configtest passes'
    or diag $out;
like $out, qr/Syntax OK/, 'Syntax OK';
like $out, qr/WR00550: WormReplyFormat arf \(\Q$d\E\/httpd\.conf:\d+\): ARF is for feedback about email; xarf4 is the format for this report/,
    'WormReplyFormat arf: configtest warns, naming the file and line';

for my $fmt (qw(plain xarf xarf4 XARF4)) {
    $h->write_conf("WormReply On\nWormReplyFormat $fmt\n");
    my ($frc, $fout) = $h->configtest;
    is $frc, 0, "WormReplyFormat $fmt: configtest passes" or diag $fout;
    unlike $fout, qr/WR00550/, "WormReplyFormat $fmt: no warning";
}

# the shipped example, every commented directive switched on, is good
{
    my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
    open my $ex, '<', "$top/conf/wormreply.conf" or die $!;
    local $/;
    my $c = <$ex>;
    close $ex;
    my $on = $c =~ s/^(\s*)#(WormReply\S+)/$1$2/mg;
    $c =~ s{/etc/apache2/wormreply-smtp\.secret}{$d/secret};
    $c =~ s{^\s*#.*\n}{}mg;
    # as the admin does: the notices in the module's conf, WormReply On in
    # the virtual host to protect
    $h->write_conf("$c\nWormReplySpool $d/spool\nWormReplyOutbox $d/outbox\n"
                   . "<VirtualHost 127.0.0.1:18105>\nWormReply On\n"
                   . "</VirtualHost>\n");
    my ($rc, $out) = $h->configtest;
    cmp_ok $on, '>=', 8, "conf/wormreply.conf: $on commented directives";
    is $rc, 0, '... all switched on: configtest passes' or diag $out;
}

# WormReplyNotify without a socache provider loaded: the module's own
# per-source table needs none (Debian's default module set has no
# mod_socache_shmcb)
my $n = WrPrivateHttpd->new(port => 18106);
(my $conf = "WormReply On\nWormReplyNotify On\nWormReplySpool "
 . $n->dir . "/spool\nWormReplyOutbox " . $n->dir . "/outbox\n");
$n->write_conf($conf);
{
    # the same configuration without mod_socache_shmcb
    open my $in, '<', $n->conf_file or die $!;
    local $/;
    my $text = <$in>;
    close $in;
    $text =~ s/^LoadModule socache_shmcb_module .*\n//m;
    open my $out2, '>', $n->conf_file or die $!;
    print $out2 $text;
    close $out2;
}
{
    my ($rc, $out) = $n->configtest;
    is $rc, 0, 'without a socache provider configtest passes' or diag $out;
}
ok $n->start, 'without a socache provider httpd starts' or diag $n->error_log;
$n->probe('192.0.2.50', '/scripts/root.exe?/c+dir') for 1 .. 3;
my %c = $n->status =~ /"(\w+)": (\d+)/g;
is $c{spooled}, 1, 'the first probe of a source is spooled';
is $c{host_counted}, 2, 'the others are counted in its window';
$n->stop;

done_testing;
