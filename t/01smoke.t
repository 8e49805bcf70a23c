use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

plan tests => 4, need_module 'wormreply';

Apache::TestRequest::module('wr_on');
my $r = GET '/scripts/root.exe?/c+dir';
is $r->code, 404, 'Nimda probe answered 404';
is $r->content, "404 Not Found\n", 'with the tiny fixed body';
$r = GET '/index.html';
is $r->code, 200, 'ordinary request served';
$r = GET '/no-such-file';
like $r->content, qr/<title>404 Not Found/, "ordinary 404 is httpd's own";
