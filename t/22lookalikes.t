# 22lookalikes.t - issue 13's evidence through httpd and through
# `wormreply match`: the requests of real Office, IE and FrontPage clients
# (t/data/labelled-lookalikes.tsv, label legit) are answered by httpd as
# usual and not tagged; real worm-era probes through the query string
# (label iis-other) are answered by the module and tagged iis. A few more
# cases from the issue's text, which has no public log behind it, are
# checked the same way.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);
use WrCli qw(slurp spew shq run_sh);

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $data = "$top/t/data/labelled-lookalikes.tsv";
my $cli = "$top/tools/wormreply";

# rows: [label, request line, what it is]
my @rows;
for my $row (split /\n/, slurp($data)) {
    my($label, $line, $source) = split /\t/, $row, 3;
    next if $label eq 'label';
    my $req = $line;
    if ($line =~ /\] "(.*)" \d{3} /) {
        # a log line: its request field, with Apache's "\\" escape undone
        ($req = $1) =~ s/\\\\/\\/g;
    }
    push @rows, [$label, $req, $source];
}
my $from_file = @rows;
# from the issue's text
push @rows, ['legit', 'OPTIONS /_vti_bin/owssvr.dll HTTP/1.1', 'issue 13'],
            ['legit', 'GET /search?q=cmd.exe HTTP/1.1', 'issue 13'],
            ['legit', 'GET /wiki/?title=System32 HTTP/1.1', 'issue 13'],
            ['iis-other', 'GET /?..?..?../winnt/system32/cmd.exe?/c+dir '
             . 'HTTP/1.0', 'issue 13'];
# the clients POST to FrontPage's programs; a scanner GETs them
# (t/data/labelled.tsv has one, from a 2005 honeynet log)
push @rows, ['iis-other', 'GET /_vti_bin/_vti_aut/author.exe HTTP/1.0',
             'a scanner'],
            ['iis-other', 'GET /_vti_bin/_vti_adm/admin.dll HTTP/1.0',
             'a scanner'];

plan tests => 5 + 3 * @rows, need_module 'wormreply', need_module 'status';

ok $from_file >= 17, "the lookalike file has its rows ($from_file)";
my $port = vhost_port('wr_on');
my $before = status_auto();

for my $r (@rows) {
    my($label, $line) = @$r;
    my $probe = $label ne 'legit';
    # the access log escapes a backslash as "\\"
    (my $logged = $line) =~ s/\\/\\\\/g;
    my $q = quotemeta $logged;
    my $off = log_size('worm_access.log');
    my $bytes = "$line\r\n";
    $bytes .= "Host: 127.0.0.1\r\nConnection: close\r\n"
        if $line =~ m{ HTTP/1\.1$};
    $bytes .= "Content-Length: 0\r\n" if $line =~ /^POST /;
    my $res = parse_response(send_raw('wr_on', "$bytes\r\n")->{data});
    if ($probe) {
        ok is_tiny($res, 404), "$line: answered by the module";
    }
    else {
        ok !(defined $res->{code} && defined $res->{body}
             && defined tiny_body($res->{code})
             && $res->{body} eq tiny_body($res->{code})),
           "$line: answered by httpd (" . ($res->{code} // 'none') . ')';
    }
    my @acc = log_wait('worm_access.log', $off, [qr/"$q" wp=\S+ p=$port$/]);
    my @mine = grep { /"$q" wp=\S+ p=$port$/ } @acc;
    is scalar(@mine), 1, "$line: one access-log line";
    like $mine[0] // '', $probe ? qr/ wp=iis p=$port$/ : qr/ wp=- p=$port$/,
        "$line: " . ($probe ? 'tagged iis' : 'not tagged');
}

# every request is logged, so counted, before this snapshot: the clients'
# requests count as requests and as nothing else
my $d = counter_delta($before, status_auto());
my $nprobes = grep { $_->[0] ne 'legit' } @rows;
is $d->{WormReplyProbes}, $nprobes,
   "probes counted: the $nprobes probes, none of the clients' requests";
is $d->{'WormReplyProbes-iis'}, $nprobes, "all $nprobes of them iis";

# --- the same rows through `wormreply match`, one line each
my $in = join '', map { "$_->[1]\n" } @rows;
my $tmp = Apache::Test::vars('t_logs') . '/lookalikes.in';
spew($tmp, $in);
my($rc, $out) = run_sh(shq($cli) . ' match -q ' . shq($tmp), 60);
is $rc, 0, 'wormreply match: exit 0';
my @got = map { (split /\t/, $_, 2)[0] } split /\n/, $out;
my @want = map { $_->[0] eq 'legit' ? '-' : 'iis' } @rows;
is_deeply \@got, \@want, 'wormreply match: every row as labelled'
    or diag join "\n", map { "$got[$_] / $want[$_]: $rows[$_][1]" }
                       grep { ($got[$_] // '') ne $want[$_] } 0 .. $#rows;
