#!/usr/bin/env python3
"""Generates redact_corpus.jsonl: labelled texts for the precision/recall test.

Run from this directory: python3 gen_corpus.py > redact_corpus.jsonl
Values are made up (fixed seed); valid ones are built to pass their
checksums, hard negatives are near misses. Offsets are UTF-8 byte offsets.
"""
import json, random

rnd = random.Random(20261122)

def luhn_complete(prefix, length):
    d = prefix + ''.join(str(rnd.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for c in range(10):
        s = d + str(c)
        if luhn_ok(s):
            return s

def luhn_ok(s):
    tot, dbl = 0, False
    for ch in reversed(s):
        v = int(ch)
        if dbl:
            v *= 2
            if v > 9: v -= 9
        tot += v; dbl = not dbl
    return tot % 10 == 0

def luhn_bad(prefix, length):
    s = luhn_complete(prefix, length)
    last = (int(s[-1]) + rnd.randint(1, 9)) % 10
    return s[:-1] + str(last)

def group(s, sizes, sep):
    out, i = [], 0
    for g in sizes:
        out.append(s[i:i+g]); i += g
    if i < len(s): out.append(s[i:])
    return sep.join(out)

def card(valid=True):
    kind = rnd.choice(['visa', 'mc', 'amex', 'disc', 'mc2'])
    pre, ln, sizes = {'visa': ('4', 16, [4,4,4,4]), 'mc': (str(rnd.randint(51,55)), 16, [4,4,4,4]),
                      'amex': (rnd.choice(['34','37']), 15, [4,6,5]), 'disc': ('6011', 16, [4,4,4,4]),
                      'mc2': (str(rnd.randint(2221,2720)), 16, [4,4,4,4])}[kind]
    s = luhn_complete(pre, ln) if valid else luhn_bad(pre, ln)
    sep = rnd.choice(['', ' ', '-'])
    return s if sep == '' else group(s, sizes, sep)

def iban_check(cc, bban):
    rearr = bban + cc + '00'
    num = ''.join(str(int(c, 36)) for c in rearr)
    return '%02d' % (98 - int(num) % 97)

IBAN_FMT = {'DE': 'n18', 'GB': 'a4n14', 'FR': 'n10a11n2', 'NL': 'a4n10', 'ES': 'n20', 'IT': 'a1n10a12',
            'CH': 'n17', 'BE': 'n12', 'AT': 'n16', 'PL': 'n24', 'NO': 'n11', 'IE': 'a4n14'}

def bban(fmt):
    out, i = '', 0
    while i < len(fmt):
        kind = fmt[i]; j = i + 1
        while j < len(fmt) and fmt[j].isdigit(): j += 1
        n = int(fmt[i+1:j])
        chars = '0123456789' if kind == 'n' else 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' if kind == 'a' else 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
        out += ''.join(rnd.choice(chars) for _ in range(n)); i = j
    return out

def iban(valid=True, spaced=None):
    cc = rnd.choice(list(IBAN_FMT))
    b = bban(IBAN_FMT[cc])
    chk = iban_check(cc, b)
    if not valid:
        chk = '%02d' % ((int(chk) + rnd.randint(1, 50)) % 97 + 2)
        if chk == iban_check(cc, b): chk = '%02d' % ((int(chk) + 1) % 97 + 2)
    s = cc + chk + b
    if spaced is None: spaced = rnd.random() < 0.6
    return ' '.join(s[i:i+4] for i in range(0, len(s), 4)) if spaced else s

def ssn(valid=True):
    if valid:
        area = rnd.choice([rnd.randint(1, 665), rnd.randint(667, 899)])
        return '%03d-%02d-%04d' % (area, rnd.randint(1, 99), rnd.randint(1, 9999))
    k = rnd.randint(0, 4)
    if k == 0: return '000-%02d-%04d' % (rnd.randint(1, 99), rnd.randint(1, 9999))
    if k == 1: return '666-%02d-%04d' % (rnd.randint(1, 99), rnd.randint(1, 9999))
    if k == 2: return '%03d-%02d-%04d' % (rnd.randint(900, 999), rnd.randint(1, 99), rnd.randint(1, 9999))
    if k == 3: return '%03d-00-%04d' % (rnd.randint(1, 665), rnd.randint(1, 9999))
    return '%03d-%02d-0000' % (rnd.randint(1, 665), rnd.randint(1, 99))

def ipv4():
    return '.'.join(str(rnd.choice([rnd.randint(0, 255), rnd.randint(1, 99), 10, 192, 172, 255])) for _ in range(4))

IPV6 = ['2001:db8::1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8:85a3::8a2e:370:7334', 'fe80::1ff:fe23:4567:890a',
        '::1', '::ffff:192.0.2.128', '2600:1f18:24e6:b900::10', 'FE80::0202:B3FF:FE1E:8329', '2a00:1450:4001:82b::200e',
        'fd12:3456:789a:1::1', '2001:db8:0:0:1:0:0:1', '2607:f8b0:4005:80a::2004']

FIRST = ['anna', 'john', 'maria', 'li', 'omar', 'sofia', 'lukas', 'priya', 'chen', 'fatima', 'jose', 'emma']
LAST = ['smith', 'muller', 'garcia', 'wang', 'haddad', 'rossi', 'novak', 'patel', 'kim', 'okafor', 'dubois', 'jensen']
DOMAINS = ['acme.com', 'example.org', 'globex.co.uk', 'initech.io', 'mail.umbrella-corp.net', 'contoso.de', 'northwind.com.br', 'stark.industries']

def email():
    f, l, d = rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(DOMAINS)
    form = rnd.randint(0, 5)
    local = [f + '.' + l, f[0] + l, f + '_' + l + str(rnd.randint(1, 99)), f + '+crm', l + '.' + f, f.capitalize() + '.' + l.capitalize()][form]
    return local + '@' + d

PHONES = ['(212) 555-0143', '212-867-5309', '+1 415 555 2671', '+1-312-948-2210', '617.253.1000', '+44 20 7946 0958',
          '+49 30 901820', '+33 1 42 68 53 00', '+31 20 624 1111', '+61 2 9374 4000', '(646) 387-2210', '+34 912 345 678',
          '+1 (202) 456-1111', '+39 06 6982', '+81 3-3224-9999', '(303) 499-7111', '+353 1 671 9100', '+41 44 668 18 00',
          '0049 89 123456789', '+1 650 253 0000', '718-599-7744', '+55 11 3003-4000', '+46 8 5055 8000']

TEMPLATES_POS = [
    'Please send the contract to {EMAIL} by Friday.',
    'Customer {EMAIL} reported that card {CARD} was declined twice.',
    'Wire the refund to IBAN {IBAN} (account holder: Jensen GmbH).',
    'Her SSN is {SSN} and the claim was filed last week.',
    'Login from {IPV4} failed 3 times; blocking the address.',
    'The API gateway at {IPV6} stopped answering health checks.',
    'Call me on {PHONE} after 3pm, or mail {EMAIL}.',
    'Payment details: card {CARD}, billing contact {EMAIL}, phone {PHONE}.',
    'Update vendor master: IBAN {IBAN}, remit-to {EMAIL}.',
    'HR file: employee SSN {SSN}, emergency contact {PHONE}.',
    'Firewall allows {IPV4} and {IPV6} on port 443.',
    'Duplicate lead: {EMAIL} / {PHONE} (source: webinar).',
    'Chargeback on {CARD}; customer IP {IPV4}.',
    'Treasury moved EUR 12,500.00 to {IBAN} on 2026-11-02.',
    'Background check for SSN {SSN} came back clean.',
    'From: {EMAIL}\nTo: {EMAIL}\nSubject: Q4 renewal',
    'Ticket #4521: user at {IPV4}:8080 cannot reach {IPV6}.',
    '{PHONE} is the new number for the Berlin office.',
    'Ops on-call: {PHONE}; escalation {EMAIL}.',
    'Card on file ({CARD}) expires 09/28.',
]

NEG = [
    'Order ORD-2026-004512 shipped on 2026-11-20 via UPS 1Z999AA10123456784.',
    'Invoice INV-00012345 for $1,234.56 is due 11/30/2026.',
    'Release v1.2.3 replaces 2.14.0; build 10.0.19045.3693 is deprecated.',
    'ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2 are both in the catalog.',
    'The meeting starts at 14:05:33 on 2026-11-22T14:05:33Z (epoch 1795356333).',
    'Revenue grew 12.5% to EUR 4.250.000,00 in Q3 2026.',
    'PO 4500012345 was approved; 3 line items, total 98,765.43 USD.',
    'FedEx tracking 7946 1234 5678 and USPS 9400 1000 0000 0000 0000 00 are pending.',
    'Pipeline stages: 10% qualify, 25% discovery, 60% proposal, 90% commit.',
    'ZIP 94105-1234, suite 500, floor 12.',
    'MAC 00:1A:2B:3C:4D:5E is on VLAN 204.',
    'Ratio 16:9, time 09:30, score 3:1.',
    'Account number 000123456789 at the warehouse system (internal id).',
    'The contract runs from 01.01.2026 to 31.12.2026.',
    'Part numbers 1234-5678-90 and 55-1234-99 were back-ordered.',
    'Use std::vector and Foo::Bar in the C++ client.',
    'Serial SN-8842-1173-0042 registered to the Denver site.',
    'Latency p95 was 123.45 ms across 1.2.3 releases.',
    'Quote Q-2026-11-0042 expires in 30 days.',
    'Coordinates 52.5200, 13.4050 mark the office.',
]

def neg_value():
    k = rnd.randint(0, 6)
    if k == 0: return 'Card {} was rejected by the validator (bad checksum).'.format(card(False))
    if k == 1: return 'IBAN {} failed validation; please re-check.'.format(iban(False))
    if k == 2: return 'Test record with SSN-like value {} (never issued).'.format(ssn(False))
    if k == 3: return 'Address 256.{}.{}.{} is not an IP; nor is 1.2.3.'.format(rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255))
    if k == 4: return 'Reach the desk at extension 4521 or room 12-04.'
    if k == 5: return 'Write to sales at acme dot com or @acme on social (no address).'
    return 'Tracking number {} is in transit.'.format(''.join(str(rnd.randint(0, 9)) for _ in range(20)))

GEN = {'EMAIL': email, 'CARD': card, 'IBAN': iban, 'SSN': ssn, 'IPV4': ipv4, 'IPV6': lambda: rnd.choice(IPV6), 'PHONE': lambda: rnd.choice(PHONES)}

def render(tmpl):
    text, spans, i = b'', [], 0
    while True:
        j = tmpl.find('{', i)
        if j < 0:
            text += tmpl[i:].encode(); break
        k = tmpl.index('}', j)
        text += tmpl[i:j].encode()
        typ = tmpl[j+1:k]
        v = GEN[typ]().encode()
        spans.append({'type': typ, 'start': len(text), 'end': len(text) + len(v)})
        text += v
        i = k + 1
    return text.decode(), spans


# Hand-written cases: values marked as <<TYPE|value>>.
HAND = [
    "Reply to <<EMAIL|j.doe@sub.example.travel>>; do not reply to noreply@localhost or user@intranet.",
    "<mailto:<<EMAIL|Sales.Team@Northwind.com>>> (see also @northwind_sales on X).",
    "Emails: <<EMAIL|a.b-c_d@e-f.gh.io>>, <<EMAIL|x+tag@y.co>>.",
    "Sender: \"Smith, Anna\" <<<EMAIL|anna.smith@acme.com>>>",
    "Für Rückfragen: <<EMAIL|müller@acme.de>> oder „<<EMAIL|mueller@acme.de>>“ (ASCII).",
    "Tel. <<PHONE|+49 (0)30 901820>> / Fax <<PHONE|+49 30 9018 2100>>",
    "Mobile: <<PHONE|+1-646-555-3890>>; office <<PHONE|(415) 867-5309>> ext. 12.",
    "Call <<PHONE|1-800-275-2273>> for support (toll free).",
    "Numbers like 555-0100 and 867-5309 lack an area code.",
    "Employee <<SSN|536-90-4399>> and spouse <<SSN|536 90 4400>> are on the policy.",
    "SSN <<SSN|536904399>> (no dashes) was entered in the HR form.",
    "Claim 536904399 is a claim number, not an SSN.",
    "Pay with <<CARD|5555555555554444>> or <<CARD|378282246310005>>; 5555555555554445 fails.",
    "Test cards <<CARD|4012 8888 8888 1881>> and <<CARD|6011-0009-9013-9424>> work in sandbox.",
    "Amount 4111111111111111.00 USD was keyed into the amount field by mistake.",
    "Beneficiary IBAN: <<IBAN|NL91ABNA0417164300>>, BIC ABNANL2A.",
    "IBAN <<IBAN|fr1420041010050500013m02606>> was pasted in lower case; ours is <<IBAN|BE68 5390 0754 7034>>.",
    "IBAN NL91ABNA0417164301 has a wrong checksum, XX91ABNA0417164300 has no country.",
    "Connect to <<IPV4|172.16.254.1>>, then <<IPV4|8.8.8.8>>:53; not 300.1.2.3 or 1.2.3.4.5.",
    "Loopback <<IPV6|::1>> and link-local <<IPV6|fe80::a00:27ff:fe4e:66a1>>%en0.",
    "Mapped address <<IPV6|::ffff:10.0.0.1>> appeared in the proxy log at 10:42:17.",
    "Build 2024.11.22.1 deployed; schema version 3.14.159 migrated.",
    "Timestamps 2026-11-22T14:05:33.123Z and 20261122140533 are not numbers to mask.",
    "Shipment 1234567890123 weighs 12.5 kg; pallet 00340123450000000017.",
    "Phone-like 123-456-7890 and 000-000-0000 are placeholders in the form.",
    "Call the desk at 212-867-5309x45 for the order ORD-212-867-5309.",
    "Quarter revenue: $12,345,678.90; EUR 9.876.543,21; JPY 1,234,567.",
    "The ratio 4:3:2 and the scripture reference 3:16 are not addresses.",
    "See RFC 4122 section 4.4, page 12, line 3.",
    "Card ending 4242, expiring 12/29, was updated by <<EMAIL|billing@stark.industries>>.",
]

def parse_hand(s):
    text, spans, i = b'', [], 0
    while True:
        j = s.find('<<', i)
        while j >= 0 and s[j+2:j+3] == '<':
            j += 1
        if j < 0:
            text += s[i:].encode(); break
        k = s.index('>>', j)
        text += s[i:j].encode()
        typ, val = s[j+2:k].split('|', 1)
        spans.append({'type': typ, 'start': len(text), 'end': len(text) + len(val.encode())})
        text += val.encode()
        i = k + 2
    return text.decode(), spans

out = []
for h in HAND:
    t, sp = parse_hand(h)
    out.append({'text': t, 'spans': sp, 'note': 'hand-written'})
for _ in range(5):
    for t in TEMPLATES_POS:
        text, spans = render(t)
        out.append({'text': text, 'spans': spans})
for t in NEG:
    out.append({'text': t, 'spans': [], 'note': 'hard negative'})
for _ in range(30):
    out.append({'text': neg_value(), 'spans': [], 'note': 'hard negative'})
# Mixed: a negative sentence next to a positive one.
for _ in range(20):
    text, spans = render(rnd.choice(TEMPLATES_POS))
    neg = rnd.choice(NEG) + ' '
    shift = len(neg.encode())
    out.append({'text': neg + text, 'spans': [{'type': s['type'], 'start': s['start'] + shift, 'end': s['end'] + shift} for s in spans]})
for o in out:
    print(json.dumps(o, ensure_ascii=False))
