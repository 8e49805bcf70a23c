# WrXarf.pm - the XARF checkers of t/lib/xarf_check.py, for .t files
#
# The official XARF v4 schemas (the xarf-spec project, MIT) are vendored in
# t/data/xarf-spec (its SOURCE names the commit); $WR_XARF_SPEC may name
# another copy of the project (schemas/v4/xarf-v4-master.json) to try.
package WrXarf;
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Exporter 'import';
our @EXPORT_OK = qw(xarf_spec_dir xarf_check);

my $top = abs_path(dirname(__FILE__) . '/../..');

# xarf_spec_dir - the directory of the v4 schemas; dies without them, so
# no schema check is ever skipped
sub xarf_spec_dir {
    my $d = $ENV{WR_XARF_SPEC} || "$top/t/data/xarf-spec";
    die "no XARF v4 schemas: $d/schemas/v4/xarf-v4-master.json\n"
        unless -f "$d/schemas/v4/xarf-v4-master.json";
    return "$d/schemas/v4";
}

# xarf_check - run the checker: (exit status, output)
sub xarf_check {
    my @args = map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @_;
    my $out = `/usr/bin/python3 $top/t/lib/xarf_check.py @args 2>&1`;
    return ($? >> 8, $out);
}

1;
