# The answer comes before rewrite and auth: in a vhost that redirects
# /scripts/ and in one that wants a password for everything, a probe still
# gets the module's 404, an ordinary request the redirect or the 401.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);

plan tests => 12, need_module 'wormreply', need_module 'rewrite',
    need_module 'auth_basic';

my $probe = '/scripts/root.exe?/c+dir';

sub tag_of {
    my($vh, $aoff, $line) = @_;
    my $port = vhost_port($vh);
    my $q = quotemeta $line;
    my($acc) = grep { /"$q" wp=\S+ p=$port$/ }
        log_wait('worm_access.log', $aoff, [qr/"$q" wp=\S+ p=$port$/]);
    return ($acc // '') =~ / wp=(\S+) p=\d+$/ ? $1 : 'no log line';
}

# --- mod_rewrite: RewriteRule ^/scripts/ /moved/ [R=302]
{
    my $aoff = log_size('worm_access.log');
    my $r = send_raw('wr_rewrite', nimda_request($probe));
    my $p = parse_response($r->{data});
    ok is_tiny($p, 404), 'rewrite vhost: the probe gets the module\'s 404';
    ok !exists $p->{headers}{location}, 'rewrite vhost: no redirect';
    is tag_of('wr_rewrite', $aoff, "GET $probe HTTP/1.0"), 'nimda',
        'rewrite vhost: tagged nimda';

    $r = raw_get('wr_rewrite', '/scripts/jquery.min.js', proto => 'HTTP/1.1');
    is $r->{code}, 302, 'rewrite vhost: an ordinary /scripts/ request is redirected';
    like $r->{headers}{location} // '', qr{/moved/$},
        'rewrite vhost: to the rule\'s target';
    $r = raw_get('wr_rewrite', '/index.html', proto => 'HTTP/1.1');
    is $r->{code}, 200, 'rewrite vhost: other pages are served';
}

# --- auth: <Location /> AuthType Basic, Require valid-user
{
    my $aoff = log_size('worm_access.log');
    my $r = send_raw('wr_auth', nimda_request($probe));
    my $p = parse_response($r->{data});
    ok is_tiny($p, 404), 'auth vhost: the probe gets the module\'s 404';
    ok !exists $p->{headers}{'www-authenticate'},
        'auth vhost: no authentication asked for';
    is tag_of('wr_auth', $aoff, "GET $probe HTTP/1.0"), 'nimda',
        'auth vhost: tagged nimda';

    $r = send_raw('wr_auth', codered_request('X'));
    $p = parse_response($r->{data});
    ok is_tiny($p, 404), 'auth vhost: Code Red gets the module\'s 404';

    $r = raw_get('wr_auth', '/index.html', proto => 'HTTP/1.1');
    is $r->{code}, 401, 'auth vhost: an ordinary request gets 401';
    like $r->{headers}{'www-authenticate'} // '', qr/^Basic realm="wormreply test"/,
        'auth vhost: with the Basic challenge';
}
