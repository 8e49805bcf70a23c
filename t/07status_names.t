# 07status_names.t - the public names of the counters, in every form that
# shows them: server-status?auto, the HTML page, the wormreply-status
# handler's JSON and Prometheus text, and the CLI's table. One private
# httpd with notices, a smarthost and a farm (both unreachable: the
# delivery and farm counters are shown all the same) on 127.0.0.1:18148.
#
# The lists below are the names as they were before the counter field
# table (wr_counters.h) wrote all these forms, plus what was added on
# purpose since (?auto: HostCounted, CacheBusy, NoticeEvents, NoticeErrors,
# FarmRoundtrips; JSON: schema). A name that goes away or is renamed
# fails here; a new counter is added to these lists deliberately.
use strict;
use warnings;

use FindBin;
use IO::Socket::INET;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;
use WrCli qw(run_sh shq);
use WrPrivateHttpd;

my $TOP = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $cli = "$TOP/tools/wormreply";
my $PORT = 18148;

# the scalar counters, by their JSON key (= Prometheus wormreply_NAME,
# "_total" unless a gauge) and their ?auto name
my @counters = (
    [requests => 'Requests'], [probes => 'Probes'], [exempt => 'Exempt'],
    [rejected => 'Rejected'], [probe_seconds => 'ProbeTimeUsec'],
    [notifying_probes => 'NotifyingProbes'],
    [spooled => 'Spooled'], [spool_dropped => 'SpoolDropped'],
    [host_counted => 'HostCounted'], [cache_busy => 'CacheBusy'],
    [prefix_held => 'PrefixHeld'], [notices => 'Notices'],
    [notice_events => 'NoticeEvents'], [unresolvable => 'Unresolvable'],
    [not_notified => 'NotNotified'], [host_suppressed => 'HostSuppressed'],
    [held_uncertain => 'HeldUncertain'], [cap_deferred => 'CapDeferred'],
    [dns_retries => 'DnsRetries'], [notice_errors => 'NoticeErrors'],
    [smtp_sent => 'SMTPSent'], [smtp_deferred => 'SMTPDeferred'],
    [smtp_failed => 'SMTPFailed'], [smtp_suppressed => 'SMTPSuppressed'],
    [smtp_retries => 'SMTPRetries'],
    [bounces_received => 'BouncesReceived'],
    [bounces_hard => 'BouncesHard'], [bounces_ignored => 'BouncesIgnored'],
    [farm_connected => 'FarmConnected'], [farm_errors => 'FarmErrors'],
    [farm_digests => 'FarmDigests'], [farm_local => 'FarmLocalDigests'],
    [farm_windows => 'FarmWindows'], [farm_roundtrips => 'FarmRoundtrips'],
    [queued => 'Queue'], [queue_oldest_seconds => 'QueueOldestSeconds'],
    [outbox_queued => 'OutboxQueue'],
    [outbox_oldest_seconds => 'OutboxOldestSeconds'],
    [outbox_kept => 'OutboxKept'],
);
my %gauge = map { $_ => 1 } qw(farm_connected farm_windows queued
    queue_oldest_seconds outbox_queued outbox_oldest_seconds outbox_kept);
# JSON members that are not counters, and the status texts
my @json_other = qw(schema since farm_last_error);
my @auto_other = qw(FarmLastError);
my @prom_other = qw(wormreply_since_seconds);
my @confidence = qw(certain likely recon);
my @actions = qw(404 403 410 close pass);
# the HTML page: a row per counter, under its section
my @html_rows = (
    'requests seen', 'probes', 'by confidence',
    (map { "answered $_" } @actions),
    'probes from exempt clients', 'probes in lines httpd rejected',
    'seconds answering probes',
    'events spooled', 'events dropped: spool full or unwritable',
    'probes counted in an open source window',
    'probes whose cache lock failed (spooled anyway)',
    'new addresses held back: their prefix had its events',
    'notices composed', 'events in those notices',
    'sources without a confirmed name or mail domain',
    'sources never notified: special, exempt, own, never-mail',
    'sources notified within their host window already',
    'events held: a less certain family alone',
    'digests held back by the hourly cap',
    'events given back after a DNS failure',
    'notices that could not be written', 'events waiting in the spool',
    'seconds the oldest has waited',
    'notices sent', 'deliveries deferred', 'notices given up on',
    'recipients suppressed after a 5xx', 'notices queued again',
    'notices waiting for the smarthost', 'seconds the oldest has waited',
    'notices kept for pickup (no smarthost)',
    'messages to the bounce address', 'hard bounces: a recipient suppressed',
    'bounces ignored: no valid token',
    "connected: 1 while the farm's state is in use",
    'errors, each a fallback', 'digests under a farm claim',
    'digests from local state, farm unreachable', 'domains in their window',
    'commands sent to Redis', 'last error',
);

plan skip_all => 'port busy'
    if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT", Timeout => 1);

my $h = WrPrivateHttpd->new(port => $PORT);
my $d = $h->dir;
$h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
# nothing answers on these ports: the lookups, deliveries and the farm fail
WormReplyResolver 127.0.0.1:15399
WormReplyFrom wormreply\@wr-notices.test
WormReplySmarthost 127.0.0.1:12599
WormReplySMTPTLS off
WormReplyFarm redis://127.0.0.1:16399
EOF
my ($rc, $out) = $h->configtest;
is $rc, 0, 'configtest passes' or diag $out;
ok $h->start, "httpd on 127.0.0.1:$PORT" or BAIL_OUT($h->error_log);
ok $h->wait_for(sub { $h->notifier_pid }, 10), 'the notifier runs';
like $h->probe('192.0.2.10', '/scripts/root.exe?/c+dir'), qr{^HTTP/1\.\d 404},
    'a Nimda probe is answered 404';
# the farm's first error and the notifier's gauges: both within a second
# or two of the start; bounded
ok $h->wait_for(sub { $h->status =~ /"farm_last_error"/ }, 20),
    'the farm\'s failure is published';

sub body {
    my $a = $h->raw("GET $_[0] HTTP/1.0\r\nHost: www\r\n\r\n");
    $a =~ s/\A.*?\r\n\r\n//s;
    return $a;
}
sub same_set {
    my ($got, $want, $what) = @_;
    my %g = map { $_ => 1 } @$got;
    my %w = map { $_ => 1 } @$want;
    my @missing = grep { !$g{$_} } sort keys %w;
    my @extra = grep { !$w{$_} } sort keys %g;
    ok !@missing && !@extra, $what
        or diag "missing: @missing\nunexpected: @extra";
}

my $json = decode_json(body('/wormreply-status'));
my @families = sort keys %{ $json->{families} || {} };
ok scalar(grep { $_ eq 'nimda' } @families), 'families include nimda';
is $json->{schema}, 1, 'the status JSON carries its schema version, 1';
like body('/wormreply-status'), qr/\A\{"schema": 1, /,
    '... as its first key';

# JSON: every key, groups as group.member
my @jkeys;
for my $k (keys %$json) {
    push @jkeys, ref $json->{$k} ? map { "$k.$_" } keys %{ $json->{$k} }
                                 : $k;
}
same_set(\@jkeys, [(map { $_->[0] } @counters), @json_other,
                   (map { "families.$_" } @families),
                   (map { "confidence.$_" } @confidence),
                   (map { "actions.$_" } @actions)],
         'JSON: exactly the known keys');

# Prometheus: every sample's name with its labels
my $prom = body('/wormreply-status?format=prometheus');
my @samples = map { /^(\S+) \S+$/ ? $1 : "bad line: $_" }
              grep { !/^#/ && /\S/ } split /\n/, $prom;
same_set(\@samples,
         [(map { "wormreply_$_->[0]" . ($gauge{$_->[0]} ? '' : '_total') }
           grep { $_->[0] ne 'probes' } @counters), @prom_other,
          (map {; qq(wormreply_probes_total{family="$_"}),
                  qq(wormreply_family_notifies{family="$_"}) } @families),
          (map {; qq(wormreply_probes_by_confidence_total{confidence="$_"}) }
           @confidence),
          (map {; qq(wormreply_answers_total{action="$_"}) } @actions)],
         'Prometheus: exactly the known metrics');
my %type = $prom =~ /^# TYPE (\S+) (\S+)$/mg;
is_deeply [grep { ($type{"wormreply_$_"} // '') ne 'gauge' }
           sort keys %gauge], [], 'the gauges are typed gauge';

# ?auto
my @auto = body('/server-status?auto') =~ /^WormReply([\w-]+): /mg;
same_set(\@auto, [(map { $_->[1] } @counters), @auto_other,
                  (map { "Probes-$_" } @families),
                  (map { "ProbesConfidence-$_" } @confidence),
                  (map { "Action-$_" } @actions)],
         '?auto: exactly the known lines');

# the HTML page: the rows of the mod_wormreply table
my ($table) = body('/server-status')
    =~ m{<h2>mod_wormreply</h2>(.*?)</table>}s;
my @rows = map { s/&nbsp;//gr }
           ($table // '') =~ m{<tr><t[hd][^>]*>([^<]*)</t[hd]><td>}g;
is_deeply [sort @rows], [sort @html_rows, @families],
    'HTML: a row per counter, the families and the last farm error'
    or diag join "\n", @rows;

# the CLI's table: a line per JSON member but schema, the groups indented
my (undef, $table_out, $err) = run_sh(join ' ', map { shq($_) } $cli,
                                      'status',
                                      "http://127.0.0.1:$PORT/wormreply-status");
my @first = map { /^(\S+)/ ? $1 : () } grep { !/^wormreply status of/ }
            split /\n/, $table_out // '';
same_set(\@first, [(map { $_->[0] } @counters), qw(since farm_last_error
                    families confidence actions)],
         'CLI: a line per counter, the texts and the group headings')
    or diag $err;
my @members = ($table_out // '') =~ /^  (\S+)/mg;
same_set(\@members, [@families, @confidence, @actions],
         'CLI: the groups\' members');

$h->stop;
done_testing;
