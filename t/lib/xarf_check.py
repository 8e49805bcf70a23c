#!/usr/bin/python3
"""xarf_check.py - check notices against the rules of X-ARF 0.2 and XARF v4

  xarf_check.py xarf02 MESSAGE...
  xarf_check.py xarf4 SCHEMA_DIR MESSAGE_OR_JSON...

Each MESSAGE is an RFC 5322 message as the outbox holds it (.eml); for
xarf4 a .json file is taken as a bare report. One line per file, "ok FILE:
..." or "FAIL FILE: reason"; the exit status is 1 if any file fails, 2 on a
usage or set-up error.

xarf4 validates the application/json part against the official XARF v4
schemas (the xarf-spec project, draft 2020-12) in SCHEMA_DIR, with format
checks, through Debian's python3-jsonschema: no schema is fetched from the
network (every $ref resolves from SCHEMA_DIR by its $id). Debian 12's
jsonschema has no checker for "date-time" and "hostname" (its optional
helpers rfc3339-validator and fqdn are not packaged), so strict ones for
RFC 3339 and RFC 1123 are registered here; any other format a schema uses
without a checker is a set-up error, so no format check is silently
skipped.

xarf02 checks what the X-ARF 0.2 specification and its validators
(blocklist.de's validatexarf, pyxarf) require: the X-XARF: PLAIN header,
Auto-Submitted, multipart/mixed with a UTF-8 text part, a UTF-8 YAML
report named report.(txt|yaml|yml) and the evidence; a YAML document
(read back with python3-yaml) whose mandatory fields are all present,
Schema-URL included, and of the right form: Report-ID with a domain,
Source a string that is an IP address, Port an integer, Date a date.
"""
import datetime
import email
import email.policy
import ipaddress
import json
import os
import re
import sys

# Must be Debian's modules, whatever python3 comes first on PATH.
sys.path = [p for p in sys.path if 'pyenv' not in p and 'site-packages'
            not in p] + ['/usr/lib/python3/dist-packages']


def parse_message(path):
    with open(path, 'rb') as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


# ---- XARF v4 -----------------------------------------------------------

RFC3339 = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})'
                     r'(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$')
LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


def is_datetime(value):
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    if not m:
        return False
    try:
        datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)),
                          int(m.group(4)), int(m.group(5)),
                          min(int(m.group(6)), 59))
    except ValueError:
        return False
    return int(m.group(6)) <= 60


def is_hostname(value):
    if not isinstance(value, str):
        return True
    if not value or len(value) > 253:
        return False
    return all(LABEL.match(label) for label in value.rstrip('.').split('.'))


def load_schemas(schema_dir):
    store = {}
    for root, _dirs, files in os.walk(schema_dir):
        for name in files:
            if name.endswith('.json'):
                with open(os.path.join(root, name), encoding='utf-8') as f:
                    schema = json.load(f)
                if '$id' in schema:
                    store[schema['$id']] = schema
    return store


def formats_used(node, found):
    if isinstance(node, dict):
        if isinstance(node.get('format'), str):
            found.add(node['format'])
        for v in node.values():
            formats_used(v, found)
    elif isinstance(node, list):
        for v in node:
            formats_used(v, found)
    return found


def xarf4_validator(schema_dir):
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, RefResolver
    store = load_schemas(schema_dir)
    master_id = 'https://xarf.org/schemas/v4/xarf-v4-master.json'
    if master_id not in store:
        raise SystemExit('no %s under %s' % (master_id, schema_dir))
    checker = FormatChecker()
    checker.checks('date-time')(is_datetime)
    checker.checks('hostname')(is_hostname)
    missing = formats_used(store, set()) - set(checker.checkers)
    if missing:
        raise SystemExit('no format checker for: ' + ', '.join(sorted(missing)))
    master = store[master_id]
    Draft202012Validator.check_schema(master)
    resolver = RefResolver(base_uri=master_id, referrer=master, store=store)
    return Draft202012Validator(master, resolver=resolver,
                                format_checker=checker), jsonschema


def xarf4_report(path):
    """The report of a .json file or of a message's application/json part"""
    if path.endswith('.json'):
        with open(path, encoding='utf-8') as f:
            return json.load(f), None
    msg = parse_message(path)
    parts = [p for p in msg.walk() if p.get_content_type() == 'application/json']
    if len(parts) != 1:
        return None, '%d application/json parts' % len(parts)
    raw = parts[0].get_payload(decode=True)
    return json.loads(raw.decode('utf-8')), None


def check_xarf4(schema_dir, paths):
    validator, _ = xarf4_validator(schema_dir)
    bad = 0
    for path in paths:
        try:
            report, why = xarf4_report(path)
        except (ValueError, UnicodeDecodeError) as e:
            report, why = None, 'not JSON: %s' % e
        if report is None:
            print('FAIL %s: %s' % (path, why))
            bad += 1
            continue
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        if errors:
            bad += 1
            for e in errors:
                where = '/'.join(str(x) for x in e.absolute_path) or '(report)'
                print('FAIL %s: %s: %s' % (path, where, e.message))
        else:
            print('ok %s: valid XARF v4 %s/%s, source %s' % (
                path, report.get('category'), report.get('type'),
                report.get('source_identifier')))
    return bad


# ---- X-ARF 0.2 ---------------------------------------------------------

XARF02_MANDATORY = ('Reported-From', 'Category', 'Report-Type', 'User-Agent',
                    'Report-ID', 'Date', 'Source', 'Source-Type',
                    'Attachment', 'Schema-URL')


def check_xarf02_one(path):
    import yaml
    msg = parse_message(path)
    if (msg.get('X-XARF') or '').strip().upper() != 'PLAIN':
        return 'no X-XARF: PLAIN header'
    if (msg.get('Auto-Submitted') or '').strip() != 'auto-generated':
        return 'no Auto-Submitted: auto-generated'
    if msg.get_content_type() != 'multipart/mixed':
        return 'not multipart/mixed'
    parts = msg.get_payload()
    if len(parts) < 2:
        return 'fewer than two parts'
    for i, part in enumerate(parts[:2]):
        if (part.get_content_charset() or '').lower() not in ('utf-8', 'utf8'):
            return 'part %d is not UTF-8' % (i + 1)
    name = parts[1].get_param('name')
    if name not in ('report.txt', 'report.yaml', 'report.yml'):
        return 'report part named %r' % name
    text = parts[1].get_payload(decode=True).decode('utf-8')
    if not text.lstrip().startswith('---'):
        return 'report does not start with ---'
    report = yaml.safe_load(text)
    if not isinstance(report, dict):
        return 'report is not a YAML mapping'
    missing = [k for k in XARF02_MANDATORY if k not in report]
    if missing:
        return 'mandatory field(s) missing: ' + ', '.join(missing)
    for k in XARF02_MANDATORY:
        if not isinstance(report[k], str) or not report[k]:
            return '%s is not a string: %r' % (k, report[k])
    if not re.match(r'^https?://\S+\.json$', report['Schema-URL']):
        return 'Schema-URL is not a schema address'
    if not re.match(r'^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$', report['Report-ID']):
        return 'Report-ID has no domain part: %r' % report['Report-ID']
    if not re.match(r'^[^@\s]+@[A-Za-z0-9.-]+$', report['Reported-From']):
        return 'Reported-From is not an address'
    try:
        ipaddress.ip_address(report['Source'])
    except ValueError:
        return 'Source is not an IP address: %r' % report['Source']
    if report['Source-Type'] not in ('ip-address', 'ipv4', 'ipv6'):
        return 'Source-Type %r' % report['Source-Type']
    if not is_datetime(report['Date']):
        return 'Date is not an RFC 3339 date-time: %r' % report['Date']
    if 'Port' in report and (not isinstance(report['Port'], int)
                             or not 0 < report['Port'] < 65536):
        return 'Port is not a port number: %r' % report['Port']
    if 'Occurrences' in report and not isinstance(report['Occurrences'], int):
        return 'Occurrences is not an integer'
    if 'Destination' in report:
        try:
            ipaddress.ip_address(report['Destination'])
        except (ValueError, TypeError):
            return 'Destination is not an IP address'
    print('ok %s: X-ARF 0.2 %s, Source %r (%s)%s%s' % (
        path, report['Report-Type'], report['Source'],
        type(report['Source']).__name__,
        ', Port %d' % report['Port'] if 'Port' in report else '',
        ', Malware %r' % report['Malware'] if 'Malware' in report else ''))
    return None


def check_xarf02(paths):
    bad = 0
    for path in paths:
        why = check_xarf02_one(path)
        if why:
            print('FAIL %s: %s' % (path, why))
            bad += 1
    return bad


def main(argv):
    if len(argv) >= 3 and argv[1] == 'xarf02':
        return 1 if check_xarf02(argv[2:]) else 0
    if len(argv) >= 4 and argv[1] == 'xarf4':
        return 1 if check_xarf4(argv[2], argv[3:]) else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
