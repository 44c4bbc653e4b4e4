#!/usr/bin/env python3
# mapsum.py MAP [ARCHIVE]: the bytes a GNU ld link map says one archive's members
# put in the image (sections kept after --gc-sections), as "text data bss", where
# text counts .text* and .rodata*. Used by run.sh; ARCHIVE (a part of the input
# file's path: libloom.a, or .ltrans for the objects of an LTO link) defaults to
# libloom.a.
import re
import sys

lib = sys.argv[2] if len(sys.argv) > 2 else 'libloom.a'
t = open(sys.argv[1]).read()
t = t[t.index('Linker script and memory map'):]
tot = {'text': 0, 'data': 0, 'bss': 0}
pend = None
for line in t.split('\n'):
    m = re.match(r'^ (\.\S+|COMMON)\s*$', line)
    if m:
        pend = m.group(1)
        continue
    m = re.match(r'^ (\.\S+|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$', line)
    sec = (m.group(1) or pend) if m else None
    pend = None
    if not m or not sec or lib not in m.group(4):
        continue
    size = int(m.group(3), 16)
    if sec.startswith(('.text', '.rodata', '.srodata')):
        tot['text'] += size
    elif sec.startswith(('.data', '.sdata')):
        tot['data'] += size
    elif sec.startswith(('.bss', '.sbss', 'COMMON')):
        tot['bss'] += size
print(tot['text'], tot['data'], tot['bss'])
